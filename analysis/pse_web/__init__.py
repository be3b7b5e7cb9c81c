"""pse_web — the what-if page of pse-sim (`pse-sim serve`): pick or paste a scenario, move the
levers, run, compare a variant with its baseline (paired by replication), download the scenario,
results (HDF5) and tables (CSV). Flask + waitress from Debian, Chart.js from libjs-chart.js;
runs offline on the same machine. See README.md "What-if in the browser"."""
from .app import Config, create_app, serve, url_of

__all__ = ["Config", "create_app", "serve", "url_of"]
