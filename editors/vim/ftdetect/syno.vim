" ftdetect/syno.vim - recognise .syno files (the language of syno).
" Install: copy (or symlink) the vim/ directory's files under ~/.vim:
"   mkdir -p ~/.vim && cp -r $(pkgdatadir)/editors/vim/* ~/.vim/
" or add it to 'runtimepath' in ~/.vimrc:
"   set runtimepath+=/usr/local/share/syno/editors/vim
autocmd BufRead,BufNewFile *.syno setfiletype syno
