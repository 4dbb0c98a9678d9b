"""
Stand-in for `qpsolvers`, which TorchJD's QuadprogProjector imports and which is not installed
here. It solves exactly the one problem TorchJD asks of it, the dual-cone QP

    minimize ½ wᵀ P w + qᵀ w  subject to  G w ≤ h,   with q = 0, G = -I, h = -u,

i.e. min ½ wᵀPw over w ≥ u. With P = L Lᵀ (Cholesky; TorchJD regularizes P first) and w = u + v,
this is the non-negative least-squares problem min ‖Lᵀv + Lᵀu‖² over v ≥ 0, which scipy's
Lawson–Hanson active-set NNLS solves exactly (finite termination), as quadprog's active-set method
does. Any other problem is refused rather than solved approximately.
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
    v, _ = nnls(upper, -upper @ u, maxiter=50 * m)
    return u + v
