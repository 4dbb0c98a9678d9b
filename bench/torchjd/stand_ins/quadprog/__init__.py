"""
Empty stand-in for the `quadprog` package: TorchJD only checks that it can be found before it
calls `qpsolvers.solve_qp(..., solver="quadprog")`, which the `qpsolvers` stand-in next to this
package answers.
"""
