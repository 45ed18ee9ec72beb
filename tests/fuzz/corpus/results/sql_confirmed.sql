BEGIN TRANSACTION;
CREATE TABLE candidates ( id INTEGER PRIMARY KEY, hash TEXT UNIQUE NOT NULL, text TEXT, path TEXT, status TEXT NOT NULL, reason TEXT, flops REAL, params REAL, latency REAL, accuracy REAL, reward REAL, seconds REAL, created REAL, iteration INTEGER, file TEXT);
INSERT INTO "candidates" VALUES(1,'2732a83de1ca7dcc','size C_in, C_out, H, N, W;

op canonical(x[a: N, b: C_in, c: H, d: W]) -> [a, e, f, d] {
    weight w1[w1a: C_out, w1b: C_in];
    e = share(expand(C_out), w1a);
    f = shift(c, 1);
    sum(share(b, w1b));
}
','reduce(C_in); shift(out2:H); contract(expand out1:C_out, sum:C_in)','ok',NULL,17408.0,96.0,NULL,NULL,8.88888888888888839545e-01,3.05889999708597315475e-04,1.79661039751127099995e+09,1,'results/op_2732a83d.syno');
INSERT INTO "candidates" VALUES(2,'2875ed717b1d6922','size C_in, C_out, H, N, W;

op canonical(x[a: N, b: C_in, c: H, d: W]) -> [a, e, c, d] {
    weight w1[w1a: C_out, w1b: C_in];
    e = share(expand(C_out), w1a);
    sum(share(b, w1b));
}
','reduce(C_in); contract(expand out1:C_out, sum:C_in)','ok',NULL,17408.0,96.0,NULL,NULL,8.88888888888888839545e-01,2.87156000013055745512e-04,1.79661039751195907594e+09,2,'results/op_2875ed71.syno');
INSERT INTO "candidates" VALUES(3,'9a0d949c082f26d9','size C_in, C_out, H, N, W;
coef k = 3;

op canonical(x[a: N, b: C_in, c: H, d: W]) -> [a, e, f, g] {
    weight w1[w1a: C_out, w1b: C_in, w1c: k];
    f, h = unfold(c, k);
    e = share(expand(C_out), w1a);
    g = shift(d, 1);
    sum(share(b, w1b));
    sum(share(h, w1c));
}
','reduce(C_in); reduce(k); shift(out3:W); contract(expand out1:C_out, sum:C_in, sum:k); unfold(out2:H, x1(sum:k))','ok',NULL,52224.0,288.0,NULL,NULL,6.66666666666666740681e-01,0.000334623999606265,1.79661039751202964787e+09,3,'results/op_9a0d949c.syno');
INSERT INTO "candidates" VALUES(4,'8fb70c457bf8264a','size C_in, C_out, H, N, W;

op canonical(x[a: N, b: C_in, c: H, d: W]) -> [a, e, c, f] {
    weight w1[w1a: C_out, w1b: C_in];
    e = share(expand(C_out), w1a);
    f = shift(d, 1);
    sum(share(b, w1b));
}
','reduce(C_in); shift(out3:W); contract(expand out1:C_out, sum:C_in)','ok',NULL,17408.0,96.0,NULL,NULL,8.88888888888888839545e-01,3.83995999982289504259e-04,1.79661039751208424569e+09,4,'results/op_8fb70c45.syno');
INSERT INTO "candidates" VALUES(5,'7e85c8dffbc16db5','size C_in, C_out, H, N, W;
coef k = 3;

op canonical(x[a: N, b: C_in, c: H, d: W]) -> [a, e, f, d] {
    weight w1[w1a: C_out, w1b: C_in, w1c: k];
    f, g = unfold(shift(c, 1), k);
    e = share(expand(C_out), w1a);
    sum(share(b, w1b));
    sum(share(g, w1c));
}
','reduce(C_in); reduce(k); contract(expand out1:C_out, sum:C_in, sum:k); unfold(out2:H, x1(sum:k)); shift(unfold(out2:H, x1(sum:k)))','ok',NULL,52224.0,288.0,NULL,NULL,6.66666666666666740681e-01,3.86059999982535373419e-04,1.79661039752730846406e+09,5,'results/op_7e85c8df.syno');
INSERT INTO "candidates" VALUES(6,'3d670df31a42ba59','size C_in, C_out, H, N, W;
coef k = 3;

op canonical(x[a: N, b: C_in, c: H, d: W]) -> [a, e, c, f] {
    weight w1[w1a: C_out, w1b: C_in, w1c: k, w1d: k];
    g, h = unfold(d, k);
    f, i = unfold(g, k);
    e = share(expand(C_out), w1a);
    sum(share(b, w1b));
    sum(share(h, w1c));
    sum(share(i, w1d));
}
','reduce(C_in); reduce(k); reduce(k); contract(expand out1:C_out, sum:C_in, sum:k, sum:k#2); unfold(out3:W, x1(sum:k)); unfold(unfold(out3:W, x1(sum:k)), x1(sum:k#2))','ok',NULL,133888.0,864.0,NULL,NULL,1.45424836601307228001e-01,3.03947000247717369347e-04,1.79661039752752518653e+09,6,NULL);
INSERT INTO "candidates" VALUES(7,'5dfe52bd6906f4b8','size C_in, C_out, H, N, W;
coef k = 3;

op canonical(x[a: N, b: C_in, c: H, d: W]) -> [a, e, c, f] {
    weight w1[w1a: C_out, w1b: k];
    f, g = unfold(d, k);
    e = share(expand(C_out), w1a);
    sum(b);
    sum(share(g, w1b));
}
','reduce(C_in); reduce(k); contract(expand out1:C_out, sum:k); unfold(out3:W, x1(sum:k))','ok',NULL,10688.0,48.0,NULL,NULL,0.931781045751634,2.75184000201988965272e-04,1.79661039752759718896e+09,7,'results/op_5dfe52bd.syno');
INSERT INTO "candidates" VALUES(8,'29b1597c2771f165','size C_in, C_out, H, N, W;
coef k = 3;

op canonical(x[a: N, b: C_in, c: H, d: W]) -> [a, e, f, g] {
    weight w1[w1a: C_out, w1b: C_in, w1c: k];
    g, h = unfold(d, k);
    e = share(expand(C_out), w1a);
    f = shift(c, 1);
    sum(share(b, w1b));
    sum(share(h, w1c));
}
','reduce(C_in); reduce(k); shift(out2:H); contract(expand out1:C_out, sum:C_in, sum:k); unfold(out3:W, x1(sum:k))','ok',NULL,52224.0,288.0,NULL,NULL,6.66666666666666740681e-01,2.87657000171748222783e-04,1.79661039752803611754e+09,8,'results/op_29b1597c.syno');
INSERT INTO "candidates" VALUES(9,'a01ed10f3d591701','size C_in, C_out, H, N, W;
coef k = 3;

op canonical(x[a: N, b: C_in, c: H, d: W]) -> [a, e, c, f] {
    weight w1[w1a: C_out, w1b: C_in, w1c: k];
    f, g = unfold(shift(d, 1), k);
    e = share(expand(C_out), w1a);
    sum(share(b, w1b));
    sum(share(g, w1c));
}
','reduce(C_in); reduce(k); contract(expand out1:C_out, sum:C_in, sum:k); unfold(out3:W, x1(sum:k)); shift(unfold(out3:W, x1(sum:k)))','ok',NULL,52224.0,288.0,NULL,NULL,6.66666666666666740681e-01,3.24353999985760310664e-04,1.79661039755127906799e+09,9,NULL);
INSERT INTO "candidates" VALUES(10,'4b8ea8ed890fbb0a','size C_in, C_out, H, N, W;
coef k = 3;

op canonical(x[a: N, b: C_in, c: H, d: W]) -> [a, e, f, g] {
    weight w1[w1a: C_out, w1b: k];
    f, h = unfold(c, k);
    e = share(expand(C_out), w1a);
    g = shift(d, 1);
    sum(b);
    sum(share(h, w1b));
}
','reduce(C_in); reduce(k); shift(out3:W); contract(expand out1:C_out, sum:k); unfold(out2:H, x1(sum:k))','ok',NULL,10688.0,48.0,NULL,NULL,0.931781045751634,3.13113999709457857534e-04,1.7966103975514273643e+09,10,'results/op_4b8ea8ed.syno');
INSERT INTO "candidates" VALUES(11,'9325201f070a6e54','size C_in, C_out, H, N, W;
coef k = 3;

op canonical(x[a: N, b: C_in, c: H, d: W]) -> [a, e, f, d] {
    weight w1[w1a: C_out, w1b: k];
    f, g = unfold(shift(c, 1), k);
    e = share(expand(C_out), w1a);
    sum(b);
    sum(share(g, w1b));
}
','reduce(C_in); reduce(k); contract(expand out1:C_out, sum:k); unfold(out2:H, x1(sum:k)); shift(unfold(out2:H, x1(sum:k)))','ok',NULL,10688.0,48.0,NULL,NULL,0.931781045751634,3.14206000439298804849e-04,1.79661039755152201653e+09,11,'results/op_9325201f.syno');
INSERT INTO "candidates" VALUES(12,'6fbdd4d67f6a0fa6','size C_in, C_out, H, N, W;
coef k = 3;

op canonical(x[a: N, b: C_in, c: H, d: W]) -> [a, e, f, d] {
    weight w1[w1a: C_out, w1b: k, w1c: k];
    g, h = unfold(c, k);
    f, i = unfold(g, k);
    e = share(expand(C_out), w1a);
    sum(b);
    sum(share(h, w1b));
    sum(share(i, w1c));
}
','reduce(C_in); reduce(k); reduce(k); contract(expand out1:C_out, sum:k, sum:k#2); unfold(out2:H, x1(sum:k)); unfold(unfold(out2:H, x1(sum:k)), x1(sum:k#2))','ok',NULL,26784.0,144.0,NULL,NULL,8.29044117647058875775e-01,3.28472000092006055638e-04,1.79661039755157971378e+09,12,'results/op_6fbdd4d6.syno');
CREATE TABLE confirmations ( hash TEXT NOT NULL, seed INTEGER NOT NULL, status TEXT NOT NULL, reason TEXT, accuracy REAL, seconds REAL, PRIMARY KEY (hash, seed));
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
INSERT INTO "meta" VALUES('spec_text','size N, C_in, C_out, H, W;
coef k = 3;

bind l1 { N = 2, C_in = 4, C_out = 8, H = 8, W = 8 }
bind l2 { N = 2, C_in = 8, C_out = 8, H = 6, W = 6 }

search quick {
    input [N, C_in, H, W];
    output [N, C_out, H, W];
    fixed N;
    size N: 0, C_in: 2, C_out: 2, H: 0, W: 0;
    coef k: 2;
    layers l1, l2;
    baseline conv2d;
    depth 6;
    reductions 3;
    weights 1;
    chain 5;
    limit split 1, merge 1, shift 1;
    objective flops;
    algorithm random iterations 12 seed 7;
    options min_weight_params 16;
}
');
INSERT INTO "meta" VALUES('spec_file','spec.syno');
INSERT INTO "meta" VALUES('spec_name','quick');
INSERT INTO "meta" VALUES('spec_hash','5a5b187235fa7b4d');
INSERT INTO "meta" VALUES('algorithm','random');
INSERT INTO "meta" VALUES('seed','7');
INSERT INTO "meta" VALUES('batch','4');
INSERT INTO "meta" VALUES('iterations','12');
INSERT INTO "meta" VALUES('version','0.1.0');
INSERT INTO "meta" VALUES('reference','flops=156672;params=864;latency=nan;accuracy=nan');
INSERT INTO "meta" VALUES('reference_of','conv2d');
INSERT INTO "meta" VALUES('iterations_done','12');
CREATE INDEX candidates_reward ON candidates(status, reward DESC);

INSERT INTO confirmations VALUES('5dfe52bd6906f4b8',2,'ok',NULL,0.82,1.5);
INSERT INTO confirmations VALUES('5dfe52bd6906f4b8',3,'ok',NULL,0.83,1.5);
INSERT INTO confirmations VALUES('4b8ea8ed890fbb0a',2,'ok',NULL,0.82,1.5);
INSERT INTO confirmations VALUES('4b8ea8ed890fbb0a',3,'ok',NULL,0.83,1.5);
INSERT INTO confirmations VALUES('baseline',2,'failed','killed',NULL,0.1);
UPDATE candidates SET text='op canonical(x[a: N]) -> [a] { }', file='/nonexistent/op.syno' WHERE id=3;
UPDATE candidates SET reward=1e308, flops=-1, params='x' WHERE id=4;
UPDATE meta SET value='not a number' WHERE key='seed';
COMMIT;
