# codegen/local.mk - lowering to plans, CPU and CUDA execution (issues 3 and 6).
