"""pse_analysis: read pse-sim HDF5 results files and turn them into statistics, figures and reports.

Run with Debian's /usr/bin/python3 (python3-h5py, -numpy, -pandas, -matplotlib, -scipy).

    from pse_analysis import load, stats
    res = load("results/default.h5")
    stats.summarize(res)                       # mean and 95% CI per design point and metric

Command line: ``/usr/bin/python3 -m pse_analysis report results/default.h5 -o report/``.
"""
from .errors import AnalysisError, DesignError, MissingDataError, ResultsFileError
from .io import Results, load, parse_project_weeks

__all__ = ["AnalysisError", "DesignError", "MissingDataError", "ResultsFileError", "Results", "load",
           "parse_project_weeks"]
__version__ = "0.1.0"
