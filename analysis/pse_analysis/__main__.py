"""Command line of the analysis package.

    /usr/bin/python3 -m pse_analysis report RESULTS.h5 [MORE.h5 ...] -o DIR [--embed] [--baseline N]
    /usr/bin/python3 -m pse_analysis summary RESULTS.h5 [MORE.h5 ...] [--metric M ...] [--csv]
    /usr/bin/python3 -m pse_analysis compare A.h5 B.h5 ... [--baseline N] [--metric M ...]
    /usr/bin/python3 -m pse_analysis sensitivity SWEEP.h5 [--metric M ...] [--boot N]
    /usr/bin/python3 -m pse_analysis validate-model [--quick] [-o DIR] [--set key=value ...] [--base FILE]
    /usr/bin/python3 -m pse_analysis calibrate [--samples N] [--replications R] [-o DIR] [--write FILE]
    /usr/bin/python3 -m pse_analysis screen SCENARIO --lever KEY --low A --high B -o CSV

Run with PYTHONPATH=analysis from the repository root (or from inside analysis/).
Exit codes as in pse-sim: 0 ok, 1 failure, 2 bad input (unreadable file, or a file that lacks what
the command needs, e.g. sensitivity for a file that is not a Sobol/Morris sweep).
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from . import stats  # noqa: E402
from .errors import AnalysisError, ResultsFileError  # noqa: E402
from .io import load  # noqa: E402


class _Parser(argparse.ArgumentParser):
    """argparse with the CLI's one-line errors: 'error: <what> (see `<prog> --help`)', exit 2,
    no usage dump."""

    def error(self, message):  # noqa: D401 - argparse API
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def _prog() -> str:
    """'pse-sim' when started by `pse-sim report ...` (which sets PSE_SIM), else the module."""
    return "pse-sim" if os.environ.get("PSE_SIM") else "python3 -m pse_analysis"


_REPORT_EPILOG = """examples:
  {prog} report results/default.h5 -o report/default
  {prog} report results/part_time_only.h5 results/default.h5 results/two_specialists.h5 --baseline 1 -o report/staffing
  {prog} report results/staffing.h5 -o report/staffing --embed

The report opens with the answer (what each lever of the experiment changes, with 95% intervals),
then the figures, then the tables (collapsed, each with a CSV file). Exit codes: 0 report written,
1 a file could not be read or written, 2 bad arguments or a file without what the report needs."""


def _parser() -> argparse.ArgumentParser:
    prog = _prog()
    p = _Parser(prog=prog, description="Analyse pse-sim HDF5 results files (docs/OUTPUT.md).")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_Parser, metavar="COMMAND")
    r = sub.add_parser("report", help="write an HTML report with figures and tables",
                       description="Write an HTML report (index.html, figures/*.png, tables/*.csv) of one results "
                                   "file, or of several compared side by side (the first is the baseline).",
                       epilog=_REPORT_EPILOG.format(prog=prog), formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("files", nargs="+", metavar="RESULTS.h5", help="results file(s); several are compared as design points")
    r.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder (index.html, figures/, tables/)")
    r.add_argument("--baseline", type=int, default=0, metavar="N",
                   help="design point differences are taken from (default 0)")
    r.add_argument("--embed", action="store_true", help="embed figures in index.html (single self-contained file)")
    r.add_argument("--boot", type=int, default=1000, metavar="N", help="bootstrap resamples for intervals (default 1000)")
    r.add_argument("--max-design-points", type=int, default=16, metavar="N",
                   help="draw at most this many design points separately (larger sweeps are pooled)")
    r.add_argument("--sensitivity-metric", action="append", default=None, metavar="METRIC",
                   help="summary metric for the sensitivity section (repeatable)")
    r.add_argument("--dpi", type=int, default=100, metavar="N", help="resolution of the figures (default 100)")
    s = sub.add_parser("summary", help="print mean and 95%% CI per design point and metric")
    s.add_argument("files", nargs="+")
    s.add_argument("--metric", action="append", default=None)
    s.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    c = sub.add_parser("compare", help="print differences from a baseline design point")
    c.add_argument("files", nargs="+")
    c.add_argument("--baseline", type=int, default=0)
    c.add_argument("--metric", action="append", default=None)
    c.add_argument("--welch", action="store_true", help="force Welch intervals (default: paired when CRN)")
    c.add_argument("--csv", action="store_true")
    e = sub.add_parser("sensitivity", help="print Sobol or Morris indices of a sensitivity sweep")
    e.add_argument("file")
    e.add_argument("--metric", action="append", default=None)
    e.add_argument("--boot", type=int, default=1000)
    e.add_argument("--csv", action="store_true")
    from . import calibrate as _calibrate, validation as _validation
    v = sub.add_parser("validate-model",
                       help="run the validation experiments and compare the model with the field evidence "
                            "(docs/VALIDATION.md); exit 1 if a target is missed")
    _validation.add_arguments(v)
    k = sub.add_parser("calibrate",
                       help="ABC-rejection calibration over a Latin hypercube of uncertain parameters "
                            "(docs/VALIDATION.md); writes a calibrated scenario")
    _calibrate.add_arguments(k)
    from . import screening as _screening
    sc = sub.add_parser("screen",
                        help="Morris screening of the assumption parameters for one lever contrast "
                             "(which assumptions decide the answer); writes a CSV")
    _screening.add_arguments(sc)
    return p


def _print(df: pd.DataFrame, as_csv: bool) -> None:
    if as_csv:
        df.to_csv(sys.stdout, index=False)
    else:
        with pd.option_context("display.width", 200, "display.max_columns", 30, "display.max_rows", 1000,
                               "display.float_format", "{:,.4g}".format):
            print(df.to_string(index=False))


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    warnings.simplefilter("ignore")   # no library warnings (matplotlib, numpy) in front of the user
    try:
        if args.cmd == "validate-model":
            from .validation import main_from_args as _validate_main
            return _validate_main(args)
        if args.cmd == "screen":
            from .screening import main_from_args as _screen_main
            return _screen_main(args)
        if args.cmd == "calibrate":
            from .calibrate import main_from_args as _calibrate_main
            return _calibrate_main(args)
        if args.cmd == "report":
            from .report import build_report
            index = build_report(args.files, args.output, baseline=args.baseline, embed=args.embed,
                                 n_boot=args.boot, max_design_points=args.max_design_points,
                                 sensitivity_metrics=args.sensitivity_metric, dpi=args.dpi)
            print(f"report written: {index}")
        elif args.cmd == "summary":
            res = load(args.files)
            t = stats.summarize(res, args.metric)
            _print(t[["design_point", "label", "metric", "kind", "n", "mean", "lo", "hi", "median"]], args.csv)
        elif args.cmd == "compare":
            res = load(args.files)
            t = stats.compare(res, args.metric, baseline=args.baseline, paired=False if args.welch else None)
            if t.empty:
                print("only one design point: nothing to compare (give several files or a sweep)", file=sys.stderr)
                return 2
            _print(t[["label", "baseline", "metric", "diff", "lo", "hi", "n", "method", "p_value"]], args.csv)
        elif args.cmd == "sensitivity":
            res = load(args.file)
            metrics = args.metric or ["agreements", "vulnerability_reduction"]
            for m in metrics:
                method, t = stats.sensitivity(res, m, n_boot=args.boot)
                print(f"# {method} indices of '{m}'")
                _print(t.reset_index(), args.csv)
    except ResultsFileError as e:  # same class of failure as `pse-sim info` on such a file: exit 1
        print(f"error: {e}", file=sys.stderr)
        return 1
    except AnalysisError as e:  # the file lacks what the analysis needs, or a bad option: exit 2
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except OSError as e:  # e.g. the report folder is an existing file, or not writable
        where = f"'{e.filename}': " if getattr(e, "filename", None) else ""
        print(f"error: {where}{e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: stopped (Ctrl-C); nothing more was written", file=sys.stderr)
        return 1
    except Exception as e:  # a defect in the analysis: one line, the traceback only on request
        if os.environ.get("PSE_DEBUG"):
            raise
        print(f"error: the analysis failed ({type(e).__name__}: {e}); set PSE_DEBUG=1 for the details and "
              "please report it", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
