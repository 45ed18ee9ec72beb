" syntax/syno.vim - Vim syntax for the .syno language of syno: comments,
" keywords, primitives (in call position), numbers and size expressions,
" names of operators, bindings and searches, bind blocks and the settings
" of search blocks.  Install: see ftdetect/syno.vim; then :syntax on.
" The word lists follow lang/scan.l (keywords), lang/prims.def
" (primitives), lang/spec.c (search settings and their words) and
" lang/spec_options.def (options); tests/editors.sh fails when one of
" them has a word this file lacks.
if exists("b:current_syntax")
  finish
endif
let s:cpo_save = &cpo
set cpo&vim

syn case match
syn iskeyword @,48-57,_
" a search block spans many lines: parse from the top (files are small)
syn sync fromstart

" comments run to the end of the line; UTF-8 is allowed there only
syn keyword synoTodo contained TODO FIXME XXX NOTE
syn match synoComment "#.*$" contains=synoTodo,@Spell

" the six reserved words (bind and search as matches: their blocks are
" regions below, which a keyword would hide)
syn keyword synoKeyword size coef op weight
syn match synoKeyword "\<\%(bind\|search\)\>"

" primitives are ordinary names except in call position
syn match synoPrimitive "\<\%(split\|merge\|shift\|stride\|unfold\|expand\|share\|sum\|mean\|reverse\)\>\ze\s*("

" numbers: integers, reals with a fraction and/or an exponent
syn match synoNumber "\<\d\+\>"
syn match synoFloat "\<\d\+\.\d\+\%([eE][+-]\=\d\+\)\=\>"
syn match synoFloat "\<\d\+[eE][+-]\=\d\+\>"

syn region synoString start=+"+ skip=+\\\\\|\\"+ end=+"+ end=+$+ oneline

" size expressions and the rest of the punctuation
syn match synoOperator "->\|\.\.\|<=\|>=\|[-+*/^=<>]"
syn match synoDelimiter "[(){}\[\],;:]"

" names being defined
syn match synoDefName "\%(\<op\s\+\)\@<=\h\w*"
syn match synoDefName "\%(\<bind\s\+\)\@<=\h\w*"
syn match synoDefName "\%(\<search\s\+\)\@<=\h\w*"

" search blocks: a setting word opens each item
syn region synoSearch matchgroup=synoKeyword start="\<search\>\ze\s\+\h\w*\s*{" end="}" fold
      \ contains=synoSearchName,synoComment,synoSetting,synoWord,synoMetric,synoAlgorithm,synoOption,synoTrainKey,synoNumber,synoFloat,synoString,synoOperator,synoDelimiter,synoShape,synoPrimitiveName,synoSearchSize
syn match synoSearchName contained "\%(\<search\s\+\)\@<=\h\w*"
syn match synoSetting contained "\%(^\|;\)\s*\zs\%(input\|output\|fixed\|layers\|baseline\|flops\|depth\|reductions\|weights\|chain\|limit\|objective\|algorithm\|train\|options\)\>"
syn match synoSearchSize contained "\%(^\|;\)\s*\zs\%(size\|coef\)\>"
syn keyword synoWord contained unordered absolute iterations seed width
syn keyword synoMetric contained flops params latency accuracy
syn keyword synoAlgorithm contained mcts random beam exhaustive
syn keyword synoTrainKey contained subset epochs batch lr momentum test limit confirm seeds
syn keyword synoPrimitiveName contained split merge shift stride unfold expand share sum mean reverse
syn keyword synoOption contained rdom_multiplier max_pooling enumerations_per_var max_vars_in_size min_weight_params
      \ max_unfold_kernel min_unfold_ratio max_strided_dim shift_pattern expand_repeat tile min_shared_expand
      \ max_shared_expand max_outer_expand mcts_c mcts_widening mcts_rave mcts_virtual_loss finalizations
      \ coef_in_weights heuristic_rules
syn region synoShape contained matchgroup=synoDelimiter start="\[" end="\]"
      \ contains=synoWord,synoNumber,synoOperator,synoDelimiter,synoComment

" bind blocks: NAME = VALUE pairs
syn region synoBind matchgroup=synoKeyword start="\<bind\>\ze\s\+\h\w*\s*{" end="}"
      \ contains=synoBindName,synoComment,synoNumber,synoFloat,synoOperator,synoDelimiter,synoBindName
syn match synoBindName contained "\%(\<bind\s\+\)\@<=\h\w*"

hi def link synoComment Comment
hi def link synoTodo Todo
hi def link synoKeyword Keyword
hi def link synoPrimitive Function
hi def link synoPrimitiveName Function
hi def link synoNumber Number
hi def link synoFloat Float
hi def link synoString String
hi def link synoOperator Operator
hi def link synoDelimiter Delimiter
hi def link synoDefName Identifier
hi def link synoSearchName Identifier
hi def link synoBindName Identifier
hi def link synoSetting Statement
hi def link synoSearchSize Statement
hi def link synoWord Type
hi def link synoMetric Constant
hi def link synoAlgorithm Constant
hi def link synoTrainKey Type
hi def link synoOption Type

let b:current_syntax = "syno"
let &cpo = s:cpo_save
unlet s:cpo_save
