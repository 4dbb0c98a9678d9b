"""Stand-in for `qpsolvers.solve_qp`, for the one call TorchJD makes to it.

TorchJD's QuadprogProjector calls ``solve_qp(G, 0, -I, -u, solver="quadprog")``: minimize
``1/2 vᵀ G v`` subject to ``v ≥ u``, with ``G`` symmetric positive definite (TorchJD regularizes it
first). Writing ``v = u + x`` gives a bound-constrained least-squares problem in ``x ≥ 0``:
``min ‖Lᵀ x + Lᵀ u‖²`` with ``G = L Lᵀ``, which scipy's BVLS solves exactly (an active-set method
that terminates at the exact optimum). The result is then polished on its active set and its KKT
conditions are checked, so a wrong value can never be written into a fixture silently.

Only that call shape is supported: anything else raises, rather than returning a guess.
"""

import numpy as np
from scipy.linalg import cho_factor, cho_solve, cholesky
from scipy.optimize import lsq_linear

__all__ = ["solve_qp", "check_kkt"]


def check_kkt(G: np.ndarray, u: np.ndarray, v: np.ndarray, tol: float = 1e-9) -> None:
    """Raises AssertionError unless v solves min ½vᵀGv s.t. v ≥ u (to tol, relative)."""
    mu = G @ v  # the multipliers of v ≥ u: stationarity is G v − μ = 0
    scale = max(1.0, np.abs(G).max() * max(1.0, np.abs(v).max()))
    vscale = max(1.0, np.abs(u).max())
    assert np.all(v - u >= -tol * vscale), ("primal", (v - u).min())
    assert np.all(mu >= -tol * scale), ("dual", mu.min())
    assert np.all(np.abs((v - u) * mu) <= tol * scale * vscale), ("complementarity",)


def solve_qp(P, q, G=None, h=None, A=None, b=None, lb=None, ub=None, solver=None, **kwargs):
    P = np.asarray(P, dtype=np.float64)
    m = P.shape[0]
    if (
        solver != "quadprog"
        or A is not None
        or b is not None
        or lb is not None
        or ub is not None
        or np.any(np.asarray(q) != 0)
        or not np.array_equal(np.asarray(G), -np.eye(m))
    ):
        raise NotImplementedError("stub solve_qp: only TorchJD's dual-cone call is supported")
    u = -np.asarray(h, dtype=np.float64)
    P = (P + P.T) / 2
    try:
        upper = cholesky(P, lower=False)  # P = Uᵀ U
    except np.linalg.LinAlgError:
        return None  # quadprog fails on a matrix that is not positive definite
    # ½ (u + x)ᵀ P (u + x) = ½ ‖U x + U u‖²
    result = lsq_linear(upper, -(upper @ u), bounds=(0, np.inf), method="bvls", tol=1e-15,
                        lsmr_tol=None, max_iter=10 * m + 100)
    x = np.maximum(result.x, 0.0)
    # Polish on the active set: the free coordinates solve their equality-constrained subproblem
    # exactly (P_FF x_F = −(P u)_F), which removes BVLS's rounding.
    free = x > 0
    if free.any():
        rhs = -(P @ u)[free]
        x_free = cho_solve(cho_factor(P[np.ix_(free, free)]), rhs)
        if np.all(x_free > 0):
            x = np.zeros(m)
            x[free] = x_free
    v = u + x
    check_kkt(P, u, v)
    return v
