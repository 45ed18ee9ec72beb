# doc/local.mk - documentation.
