"""Fitting model parameters to lab data: fit files, lab tables, forward model, estimates, posterior.

>>> problem = load_problem("data/fits/retention_memory.yaml")   # all checks, no evaluation yet
>>> tree = run_fit(problem, "fit.h5", posterior=True, jobs=2)    # Dask LocalCluster of 2 workers
>>> save_fit(tree, "fit.h5")
"""

from .data import LabTable, read_table
from .output import FORMAT, load_fit, save_fit
from .problem import Evaluation, FitProblem, load_problem
from .runner import run_fit
from .spec import FitSpec, load_fit_file, parse_fit_text

__all__ = ["FORMAT", "Evaluation", "FitProblem", "FitSpec", "LabTable", "load_fit", "load_fit_file",
           "load_problem", "parse_fit_text", "read_table", "run_fit", "save_fit"]
