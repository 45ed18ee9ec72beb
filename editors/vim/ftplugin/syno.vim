" ftplugin/syno.vim - editing settings for .syno files: '#' comments,
" four-space indentation (the layout of `syno fmt`), and :make running
" `syno check` on the file with its file:line:col errors in the quickfix
" list.  Install: see ftdetect/syno.vim.
if exists("b:did_ftplugin")
  finish
endif
let b:did_ftplugin = 1

setlocal comments=:# commentstring=#\ %s
setlocal expandtab shiftwidth=4 softtabstop=4 tabstop=8
setlocal formatoptions-=t formatoptions+=croql
setlocal iskeyword=@,48-57,_
setlocal makeprg=syno\ check\ %
setlocal errorformat=%f:%l:%c:\ %trror:\ %m,%f:%l:%c:\ %tarning:\ %m,%f:%l:%c:\ %tote:\ %m,%-G%.%#

let b:undo_ftplugin = "setlocal comments< commentstring< expandtab< shiftwidth< softtabstop< tabstop<"
      \ . " formatoptions< iskeyword< makeprg< errorformat<"
