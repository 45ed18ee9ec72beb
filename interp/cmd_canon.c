/* cmd_canon.c - `syno canon [--hash | --json] [--unordered AXES] FILE:OP...`:
 * the canonical form of operators and their stable 64-bit hashes.
 *
 * By default each operator's canonical text is printed (a .syno module
 * that parses on its own), followed by a comment line with its hash.
 * --hash prints one line per operator, so that `syno canon --hash a:f b:g`
 * shows at a glance whether the rewriter proves two operators equal.
 * --json adds the weight re-indexing (doc/canonical.md, "Weights"). */
#include "base/hash.h"
#include "interp/cli.h"
#include "lang/canon.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: syno canon [--hash | --json] [--unordered AXES] FILE:OP...\n"
    "Prints the canonical form of each operator: the .syno text every\n"
    "equivalent spelling rewrites to (doc/canonical.md lists the rules), then\n"
    "a line '# hash: H' with its 64-bit hash (16 hex digits, FNV-1a of the\n"
    "text: the same on every machine).\n"
    "  --hash            only the hashes: one line 'H  FILE:OP' per operator;\n"
    "                    equal hashes mean the rewriter proved them equivalent\n"
    "  --json            {\"hash\", \"text\", \"weights\"} per operator (an array\n"
    "                    for several): weights says, for each canonical weight,\n"
    "                    which original weight it comes from and how its axes map\n"
    "  --unordered AXES  second level: the listed axes are unordered (channel-\n"
    "                    like), so operators that differ by a permutation of them\n"
    "                    are equal.  AXES is comma-separated; each item is a size\n"
    "                    variable (every input and output axis of exactly that\n"
    "                    size, as in a search block: C_in,C_out) or the name of\n"
    "                    an input axis or an output axis of the operator\n";

static bool item_eq(const char *item, size_t n, const char *name)
{
    return name && strlen(name) == n && memcmp(item, name, n) == 0;
}

/* Marks the unordered axes of OP named by the comma-separated LIST.
 * Returns false after printing a usage error for an unknown item. */
static bool mark_unordered(const syno_op *op, const char *list, bool *in, bool *out, const char *ref)
{
    const syno_tensor *x = &op->tensors[0];
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        bool found = false;
        int v = -1;
        for (int i = 0; i < op->vars->n; i++)
            if (item_eq(p, n, op->vars->v[i].name)) v = i;
        if (v >= 0) {
            syno_size s = syno_size_var(v);
            for (int a = 0; a < x->rank; a++)
                if (syno_size_eq(op->dims[x->axes[a]].size, s)) in[a] = found = true;
            for (int o = 0; o < op->nout; o++)
                if (syno_size_eq(op->dims[op->out[o]].size, s)) out[o] = found = true;
            found = true;
        }
        for (int a = 0; a < x->rank; a++)
            if (item_eq(p, n, op->dims[x->axes[a]].name)) in[a] = found = true;
        for (int o = 0; o < op->nout; o++)
            if (item_eq(p, n, op->dims[op->out[o]].name)) out[o] = found = true;
        if (!found || n == 0) {
            syno_cli_usage_error("canon", "--unordered: '%.*s' is neither a size variable nor an input or output axis of %s",
                                 (int)n, p, ref);
            return false;
        }
        p += n;
        if (*p == ',') p++;
    }
    return true;
}

static void size_json(syno_json *j, const syno_vars *vars, syno_size s, syno_buf *tmp)
{
    syno_buf_clear(tmp);
    syno_size_print(vars, s, tmp);
    syno_json_string(j, syno_buf_str(tmp));
}

static void weights_json(syno_json *j, const syno_op *op, const syno_canon_result *r)
{
    syno_buf tmp = SYNO_BUF_INIT;
    syno_json_begin_array(j);
    for (int w = 0; w < r->nweights; w++) {
        const syno_canon_weight *cw = &r->weights[w];
        const syno_tensor *src = &op->tensors[cw->source];
        char name[16];
        snprintf(name, sizeof name, "w%d", w + 1);
        syno_json_begin_object(j);
        syno_json_key(j, "name");
        syno_json_string(j, name);
        syno_json_key(j, "source");
        syno_json_string(j, src->name);
        syno_json_key(j, "source_index");
        syno_json_int(j, cw->source);
        syno_json_key(j, "source_shape");
        syno_json_begin_array_inline(j);
        for (int a = 0; a < src->rank; a++) size_json(j, op->vars, op->dims[src->axes[a]].size, &tmp);
        syno_json_end_array(j);
        syno_json_key(j, "shape");
        syno_json_begin_array_inline(j);
        for (int a = 0; a < cw->rank; a++) size_json(j, &r->vars, cw->shape[a], &tmp);
        syno_json_end_array(j);
        syno_json_key(j, "axes");
        syno_json_begin_array(j);
        for (int a = 0; a < cw->rank; a++) {
            syno_json_begin_array_inline(j);
            for (int b = 0; b < 32; b++)
                if (cw->from[a] & (1u << b)) syno_json_int(j, b);
            syno_json_end_array(j);
        }
        syno_json_end_array(j);
        /* A pure axis permutation, when that is all the mapping does. */
        bool pure = true;
        int perm[32];
        for (int a = 0; a < cw->source_rank && a < 32; a++) perm[a] = a;
        for (int s = 0; s < cw->nsteps && pure; s++) {
            const syno_canon_wstep *st = &cw->steps[s];
            if (st->kind != SYNO_WSTEP_PERMUTE) {
                pure = false;
                break;
            }
            int np[32];
            for (int a = 0; a < st->count; a++) np[a] = perm[st->perm[a]];
            memcpy(perm, np, (size_t)st->count * sizeof *np);
        }
        syno_json_key(j, "permutation");
        if (pure) {
            syno_json_begin_array_inline(j);
            for (int a = 0; a < cw->rank; a++) syno_json_int(j, perm[a]);
            syno_json_end_array(j);
        } else {
            syno_json_null(j);
        }
        syno_json_key(j, "steps");
        syno_json_begin_array(j);
        for (int s = 0; s < cw->nsteps; s++) {
            const syno_canon_wstep *st = &cw->steps[s];
            syno_json_begin_object(j);
            syno_json_key(j, "op");
            switch (st->kind) {
            case SYNO_WSTEP_SPLIT:
                syno_json_string(j, "split");
                syno_json_key(j, "axis");
                syno_json_int(j, st->pos);
                syno_json_key(j, "sizes");
                syno_json_begin_array_inline(j);
                for (int q = 0; q < st->count; q++) size_json(j, op->vars, st->sizes[q], &tmp);
                syno_json_end_array(j);
                break;
            case SYNO_WSTEP_MERGE:
                syno_json_string(j, "merge");
                syno_json_key(j, "axis");
                syno_json_int(j, st->pos);
                syno_json_key(j, "count");
                syno_json_int(j, st->count);
                break;
            case SYNO_WSTEP_PERMUTE:
                syno_json_string(j, "permute");
                syno_json_key(j, "order");
                syno_json_begin_array_inline(j);
                for (int q = 0; q < st->count; q++) syno_json_int(j, st->perm[q]);
                syno_json_end_array(j);
                break;
            case SYNO_WSTEP_AFFINE:
                syno_json_string(j, "affine");
                syno_json_key(j, "axis");
                syno_json_int(j, st->pos);
                syno_json_key(j, "scale");
                syno_json_int(j, st->sgn);
                syno_json_key(j, "offset");
                syno_json_int(j, st->off);
                break;
            }
            syno_json_end_object(j);
        }
        syno_json_end_array(j);
        syno_json_end_object(j);
    }
    syno_json_end_array(j);
    syno_buf_fini(&tmp);
}

/* Entry point of `syno canon`. */
int syno_cmd_canon(int argc, char **argv)
{
    static const struct option opts[] = {{"hash", no_argument, NULL, 'H'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"unordered", required_argument, NULL, 'u'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool hash_only = false, json = false;
    const char *unordered = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "hu:", opts, NULL)) != -1) {
        switch (c) {
        case 'H': hash_only = true; break;
        case 'j': json = true; break;
        case 'u': unordered = optarg; break;
        case 'h': fputs(usage, stdout); return SYNO_EXIT_OK;
        default:
            if (optopt == 'u') return syno_cli_usage_error("canon", "--unordered needs a list of axes");
            return syno_cli_usage_error("canon", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (hash_only && json) return syno_cli_usage_error("canon", "--hash and --json exclude each other");
    if (optind == argc) return syno_cli_usage_error("canon", "no operator given");
    syno_ctx *ctx = syno_ctx_new();
    syno_canon *cn = syno_canon_new();
    syno_buf out = SYNO_BUF_INIT;
    syno_json j;
    int nops = argc - optind;
    if (json) {
        syno_json_init(&j, &out);
        if (nops > 1) syno_json_begin_array(&j);
    }
    int status = SYNO_EXIT_OK;
    for (int i = optind; i < argc && status == SYNO_EXIT_OK; i++) {
        syno_op *op = syno_cli_find_op(ctx, argv[i]);
        if (!op) {
            status = SYNO_EXIT_USER;
            break;
        }
        syno_canon_opts o;
        memset(&o, 0, sizeof o);
        bool *uin = syno_xcalloc((size_t)op->tensors[0].rank + 1, sizeof *uin);
        bool *uout = syno_xcalloc((size_t)op->nout + 1, sizeof *uout);
        if (unordered) {
            o.flags = SYNO_CANON_UNORDERED;
            o.in_unordered = uin;
            o.out_unordered = uout;
            if (!mark_unordered(op, unordered, uin, uout, argv[i])) status = SYNO_EXIT_USAGE;
        }
        syno_canon_result r;
        if (status == SYNO_EXIT_OK && !syno_canon_run(cn, op, &o, &r)) {
            syno_cli_error("%s: cannot canonicalize: %s", argv[i], syno_canon_error(cn));
            status = SYNO_EXIT_USER;
        }
        if (status == SYNO_EXIT_OK) {
            char hex[17];
            syno_hash_hex(r.hash, hex);
            if (hash_only) {
                syno_buf_printf(&out, "%s  %s\n", hex, argv[i]);
            } else if (json) {
                syno_json_begin_object(&j);
                syno_json_key(&j, "operator");
                syno_json_string(&j, argv[i]);
                syno_json_key(&j, "hash");
                syno_json_string(&j, hex);
                syno_json_key(&j, "level");
                syno_json_int(&j, unordered ? 2 : 1);
                syno_json_key(&j, "text");
                syno_json_string(&j, r.text);
                syno_json_key(&j, "weights");
                weights_json(&j, op, &r);
                syno_json_end_object(&j);
            } else {
                if (i > optind) syno_buf_putc(&out, '\n');
                syno_buf_puts(&out, r.text);
                syno_buf_printf(&out, "# hash: %s\n", hex);
            }
            syno_canon_result_fini(&r);
        }
        free(uin);
        free(uout);
    }
    if (json && status == SYNO_EXIT_OK) {
        if (nops > 1) syno_json_end_array(&j);
        syno_buf_putc(&out, '\n');
    }
    if (status == SYNO_EXIT_OK) fputs(syno_buf_str(&out), stdout);
    syno_buf_fini(&out);
    syno_canon_free(cn);
    return syno_cli_finish(ctx, status);
}
