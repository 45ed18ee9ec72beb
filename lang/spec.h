/* spec.h - search specifications (the `search` block, LANGUAGE.md §6), as
 * checked data.  The search itself (search/) consumes this. */
#ifndef SYNO_SPEC_H
#define SYNO_SPEC_H

#include "lang/graph.h"
#include "lang/size.h"

#define SYNO_SPEC_MAX_AXES 8
#define SYNO_SPEC_MAX_LAYERS 32
#define SYNO_SPEC_MAX_OBJ 4

typedef enum syno_metric {
    SYNO_METRIC_FLOPS,
    SYNO_METRIC_PARAMS,
    SYNO_METRIC_LATENCY,
    SYNO_METRIC_ACCURACY,
    SYNO_METRIC_COUNT
} syno_metric;

typedef enum syno_algorithm {
    SYNO_ALG_MCTS,
    SYNO_ALG_RANDOM,
    SYNO_ALG_BEAM,
    SYNO_ALG_EXHAUSTIVE,
    SYNO_ALG_COUNT
} syno_algorithm;

/* The tunable fine limits of the `options` item (lang/spec_options.def). */
typedef enum syno_spec_opt {
#define SYNO_SPEC_OPT(e, name, def, lo, hi, doc) SYNO_OPT_##e,
#include "lang/spec_options.def"
#undef SYNO_SPEC_OPT
    SYNO_OPT_COUNT
} syno_spec_opt;

typedef struct syno_spec_opt_info {
    const char *name;
    double def, lo, hi;
    const char *doc;
} syno_spec_opt_info;

extern const syno_spec_opt_info syno_spec_opts[SYNO_OPT_COUNT];

extern const char *const syno_metric_names[SYNO_METRIC_COUNT];
extern const char *const syno_algorithm_names[SYNO_ALG_COUNT];

/* The settings a search block may give ("input", "output", ... "options"),
 * in the order lang/spec.c handles them. */
#define SYNO_SPEC_ITEM_COUNT 17
extern const char *const syno_spec_item_names[SYNO_SPEC_ITEM_COUNT];

typedef struct syno_spec_axis {
    syno_size size;
    bool unordered;
    syno_range range;
} syno_spec_axis;

typedef struct syno_spec {
    const char *name;
    syno_range range;
    struct syno_module *module;
    const syno_vars *vars;
    int nin, nout;
    syno_spec_axis in[SYNO_SPEC_MAX_AXES], out[SYNO_SPEC_MAX_AXES];
    uint32_t fixed;                     /* bit v: variable v passes straight through */
    int allow[SYNO_MAX_VARS];           /* how often variable v may be used */
    int nlayers;
    const struct syno_bindecl *layers[SYNO_SPEC_MAX_LAYERS];
    syno_binding layer_binding[SYNO_SPEC_MAX_LAYERS]; /* coefficient defaults filled in */
    const char *baseline;               /* NULL when none */
    syno_op *baseline_op;
    syno_range baseline_range;
    bool has_flops, flops_relative;
    double flops_min, flops_max;        /* ratios or absolute FLOPs; max may be infinite */
    int depth, reductions, weights, chain;
    int limit[SYNO_PRIM_COUNT];         /* -1: no limit */
    int nobj;
    struct {
        syno_metric metric;
        double weight;
    } obj[SYNO_SPEC_MAX_OBJ];
    syno_algorithm algorithm;
    int iterations;
    uint64_t seed;
    int beam_width;
    double opt[SYNO_OPT_COUNT];         /* the `options` item, defaults filled in */
    /* proxy training (accuracy objective) */
    int train_subset, train_epochs, train_batch;
    double train_lr, train_momentum;
    int train_test;                     /* test images evaluated (0: all) */
    double train_limit;                 /* seconds per candidate (0: none) */
    int train_confirm;                  /* best candidates trained again after the search (0: none) */
    int train_seeds;                    /* seeds each of them (and the baseline) is trained with */
} syno_spec;

#endif
