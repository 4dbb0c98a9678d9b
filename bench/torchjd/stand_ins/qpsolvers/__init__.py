"""
Stand-in for `qpsolvers`, which TorchJD's QuadprogProjector imports and which is not installed
here. It solves exactly the one problem TorchJD asks of it, the dual-cone QP

    minimize ½ wᵀ P w + qᵀ w  subject to  G w ≤ h,   with q = 0, G = -I, h = -u,

i.e. min ½ wᵀPw over w ≥ u. With w = u + v its KKT conditions are the linear complementarity
problem v ≥ 0, μ = P u + P v ≥ 0, vᵀμ = 0, solved by block principal pivoting (Júdice & Pires;
Kim & Park's backup rule guarantees finite termination): each iteration is one linear solve on the
free set, and a few iterations suffice, as in quadprog's active-set method. If the pivoting does
not settle (it always has in practice), scipy's Lawson–Hanson NNLS on the Cholesky factor answers
instead, also exactly. Any other problem is refused rather than solved approximately.
"""
import numpy as np
from scipy.linalg import cholesky
from scipy.optimize import nnls

__all__ = ["solve_qp"]


def solve_qp(P, q, G=None, h=None, A=None, b=None, lb=None, ub=None, solver=None, **kwargs):
    P = np.asarray(P, dtype=np.float64)
    m = P.shape[0]
    if (
        G is None
        or h is None
        or A is not None
        or b is not None
        or lb is not None
        or ub is not None
        or np.any(np.asarray(q) != 0)
        or not np.array_equal(np.asarray(G), -np.eye(m))
    ):
        raise NotImplementedError("this qpsolvers stand-in only solves min ½wᵀPw s.t. w ≥ u")
    u = -np.asarray(h, dtype=np.float64)
    try:
        upper = cholesky((P + P.T) / 2, lower=False)  # P = UᵀU, U = Lᵀ
    except np.linalg.LinAlgError:
        return None
    v = _block_principal_pivoting(P, P @ u)
    if v is None:
        v, _ = nnls(upper, -upper @ u, maxiter=50 * m)
    return u + v


def _block_principal_pivoting(M, q, max_iterations=None):
    """v ≥ 0 with M v + q ≥ 0 and vᵀ(M v + q) = 0, for a positive definite M; None if unsettled."""
    m = q.shape[0]
    tolerance = 1e-12 * max(1.0, np.abs(q).max(), np.abs(M).max())
    free = np.zeros(m, dtype=bool)
    best, chances = m + 1, 3
    for _ in range(max_iterations or 10 * m):
        v = np.zeros(m)
        if free.any():
            v[free] = np.linalg.solve(M[np.ix_(free, free)], -q[free])
        mu = M @ v + q
        infeasible = (free & (v < -tolerance)) | (~free & (mu < -tolerance))
        count = int(infeasible.sum())
        if count == 0:
            v[~free] = 0.0
            return np.maximum(v, 0.0)
        if count < best:
            best, chances = count, 3
            free ^= infeasible
        elif chances > 0:
            chances -= 1
            free ^= infeasible
        else:
            last = np.flatnonzero(infeasible)[-1]
            free[last] = not free[last]
    return None
