# search/local.mk - synthesis and search (issue 5).
