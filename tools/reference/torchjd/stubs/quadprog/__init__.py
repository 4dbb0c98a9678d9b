"""Empty stand-in: TorchJD only checks that a module named ``quadprog`` exists; the solve goes
through the ``qpsolvers`` stand-in next to this package."""
