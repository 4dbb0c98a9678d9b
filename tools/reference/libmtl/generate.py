"""Reference values of LibMTL's GradNorm, MoCo, DB_MTL and IMTL weightings for tfjs-jd's specs.

Runs LibMTL's own weighting classes (read from a LibMTL checkout, default /work/ref/libmtl) with
PyTorch in float64 on fixed per-task gradients and losses over several steps, and writes one JSON
fixture per method to spec/fixtures/libmtl/. Never run by CI.

    python3 tools/reference/libmtl/generate.py [--libmtl /path/to/LibMTL-checkout]

LibMTL's weightings are mixins of its model: they call get_share_params(), zero_grad_share_params(),
read task_num, device, rep_grad, epoch and train_loss_buffer, and backpropagate the losses they are
given. The harness below is such a model with one shared parameter vector theta (n entries): the
loss of task i is L_i + J_i . (theta - theta_0) evaluated at theta_0, so its value is L_i and its
gradient with respect to the shared parameters is row i of the fixed Jacobian J. After backward(),
theta.grad holds LibMTL's update direction. Trainable weighting parameters (GradNorm's and IMTL's
loss_scale) are stepped with plain SGD at `lr`, the optimizer the tfjs-jd classes apply internally.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import types

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
OUT = os.path.join(ROOT, 'spec', 'fixtures', 'libmtl')


def load_weightings(libmtl_root):
    """Imports the four weighting files without LibMTL/__init__.py (which needs qpsolvers etc.)."""
    folder = os.path.join(libmtl_root, 'LibMTL', 'weighting')
    for name in ('LibMTL', 'LibMTL.weighting'):
        package = types.ModuleType(name)
        package.__path__ = []
        sys.modules[name] = package

    def load(module):
        full = 'LibMTL.weighting.' + module
        spec = importlib.util.spec_from_file_location(full, os.path.join(folder, module + '.py'))
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[full] = loaded
        spec.loader.exec_module(loaded)
        return loaded

    load('abstract_weighting')
    return {
        'GradNorm': load('GradNorm').GradNorm,
        'MoCo': load('MoCo').MoCo,
        'DB_MTL': load('DB_MTL').DB_MTL,
        'IMTL': load('IMTL').IMTL,
    }


def make_harness(weighting_class, task_num, n):
    class Harness(weighting_class):
        def __init__(self):
            super().__init__()
            self.task_num = task_num
            self.device = torch.device('cpu')
            self.rep_grad = False
            self.theta = torch.nn.Parameter(torch.zeros(n))
            # GradNorm: past epoch 0, with L_i(0) set to the first call's losses by the caller.
            self.epoch = 1
            self.train_loss_buffer = np.zeros([task_num, 1])

        def get_share_params(self):
            return [self.theta]

        def zero_grad_share_params(self):
            self.theta.grad = None if self.theta.grad is None else torch.zeros_like(self.theta)

    harness = Harness()
    harness.init_param()
    return harness


def run_case(weighting_class, name, jacobians, losses, kwargs, lr):
    m, n = jacobians[0].shape
    harness = make_harness(weighting_class, m, n)
    trainable = [p for p in harness.parameters() if p is not harness.theta]
    optimizer = torch.optim.SGD(trainable, lr=lr) if trainable and lr is not None else None
    steps = []
    for t, (J, L) in enumerate(zip(jacobians, losses)):
        if t == 0:
            harness.train_loss_buffer[:, 0] = L
        if optimizer is not None:
            optimizer.zero_grad()
        harness.theta.grad = torch.zeros(n)
        Jt = torch.tensor(J)
        theta = harness.theta
        task_losses = torch.stack(
            [torch.tensor(L[i]) + Jt[i] @ (theta - theta.detach()) for i in range(m)]
        )
        weights = harness.backward(task_losses, **kwargs)
        direction = harness.theta.grad.detach().clone()
        if optimizer is not None:
            optimizer.step()
        steps.append(
            {
                'jacobian': J.tolist(),
                'losses': list(map(float, L)),
                'direction': direction.tolist(),
                'weights': [float(w) for w in np.asarray(weights).reshape(-1)],
            }
        )
    return {'name': name, 'kwargs': kwargs, 'lr': lr, 'steps': steps}


def random_case(rng, m, n, n_steps, loss_low=0.2, loss_high=3.0):
    # Gradients drift slowly around a base, as along a training run, so stateful methods matter.
    base = rng.normal(size=(m, n))
    jacobians = [base + 0.5 * rng.normal(size=(m, n)) for _ in range(n_steps)]
    start = rng.uniform(loss_low, loss_high, size=m)
    decay = rng.uniform(0.7, 0.98, size=m)
    losses = [start * decay**t for t in range(n_steps)]
    return jacobians, losses


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--libmtl', default='/work/ref/libmtl')
    args = parser.parse_args()
    torch.set_default_dtype(torch.float64)
    classes = load_weightings(args.libmtl)
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20260)
    shapes = [(2, 5), (3, 7), (4, 6)]
    n_steps = 6

    configs = {
        'gradnorm': (
            'GradNorm',
            [({'alpha': 1.5}, 0.1), ({'alpha': 0.5}, 0.3)],
        ),
        'moco': (
            'MoCo',
            [
                (
                    {'MoCo_beta': 0.5, 'MoCo_beta_sigma': 0.5, 'MoCo_gamma': 0.1,
                     'MoCo_gamma_sigma': 0.5, 'MoCo_rho': 0.0},
                    None,
                ),
                (
                    {'MoCo_beta': 0.3, 'MoCo_beta_sigma': 0.2, 'MoCo_gamma': 0.5,
                     'MoCo_gamma_sigma': 0.3, 'MoCo_rho': 0.1},
                    None,
                ),
            ],
        ),
        'db_mtl': (
            'DB_MTL',
            [({'DB_beta': 0.9, 'DB_beta_sigma': 0.0}, None), ({'DB_beta': 0.6, 'DB_beta_sigma': 0.5}, None)],
        ),
        'imtl': ('IMTL', [({}, 0.1), ({}, 0.5)]),
    }
    for file_name, (class_name, variants) in configs.items():
        cases = []
        for m, n in shapes:
            jacobians, losses = random_case(rng, m, n, n_steps)
            for kwargs, lr in variants:
                cases.append(
                    run_case(classes[class_name], f'{class_name} m={m} n={n}', jacobians, losses, kwargs, lr)
                )
        document = {
            'generator': 'tools/reference/libmtl/generate.py',
            'library': f'LibMTL weighting/{class_name}.py, PyTorch {torch.__version__}, float64',
            'cases': cases,
        }
        with open(os.path.join(OUT, file_name + '.json'), 'w') as f:
            json.dump(document, f, indent=1)
        print(f'{file_name}.json: {len(cases)} cases of {n_steps} steps')
    # The repository's `prettier --check .` covers the fixtures too.
    subprocess.run(['npx', 'prettier', '--write', OUT], cwd=ROOT, check=True)


if __name__ == '__main__':
    main()
