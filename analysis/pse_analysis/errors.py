"""Typed errors of the analysis package.

Library code raises these; only the command line (``__main__``) turns them into messages and exit
codes (exit 2 for a file that cannot answer the question asked, as in the C++ CLI).
"""


class AnalysisError(Exception):
    """Base class of every error raised by pse_analysis."""


class ResultsFileError(AnalysisError):
    """The file is missing, not HDF5, not a pse-sim results file, or of an unknown format version."""


class MissingDataError(AnalysisError):
    """The file lacks the datasets or design a requested analysis needs.

    Example: Sobol indices requested for a single-scenario or grid file, or time to agreement for
    a file written with ``run.record_events = false``.
    """


class DesignError(AnalysisError):
    """A sensitivity design is present but inconsistent (wrong number of points, wrong ordering)."""
