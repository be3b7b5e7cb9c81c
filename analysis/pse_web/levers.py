"""Which parameters the page shows first, grouped, with short labels and how to display them.

Everything else in the field table is shown under "More parameters" with its key as label; every
unit, range, description and source comes from the field table (pse_sim.fields()). A lever with
display "years" is a week count shown (and entered) in years: value_weeks = round(years * 52).
"""
from pse_analysis.keys import split_key

LEVER_GROUPS = [
    ("Staff and training", [
        ("ngo[*].dedicated_fte", "Dedicated PSE specialists", None),
        ("ngo[*].part_time_staff", "Other staff doing PSE on the side", None),
        ("ngo[*].part_time_share", "Share of a part-timer's week spent on PSE", None),
        ("ngo[*].trained", "Staff trained in PSE", None),
    ]),
    ("Project length and funding", [
        ("ngo[*].end_week", "Project end (years after the start)", "years"),
        ("ngo[*].budget_usd_per_year", "Yearly PSE budget", None),
        ("ngo[*].budget_cv", "Budget uncertainty (year-to-year variation)", None),
        ("ngo[*].budget_cut_prob", "Yearly chance the PSE budget line is cut", None),
        ("ngo[*].follow_on_prob", "Chance the donor extends the project", None),
        ("ngo[*].budget_transparency", "Budget shared openly with partners", None),
    ]),
    ("Handover and sustainability", [
        ("ngo[*].handover", "Handover to the company designed in from the start", None),
    ]),
    ("Approach and framing", [
        ("ngo[*].approach", "Approach to companies", None),
        ("ngo[*].framing", "How the issue is framed", None),
        ("ngo[*].abuse_policy", "What happens when abuse is found", None),
    ]),
    ("Outreach", [
        ("ngo[*].outreach_events_per_year", "Public events per year", None),
        ("ngo[*].targets_per_month", "Companies approached per month", None),
    ]),
    ("Country context", [
        ("ecosystem.mnc_count", "Multinational companies in the country", None),
        ("ecosystem.supplier_count", "Local suppliers", None),
        ("ecosystem.sensitive_sector_share", "Share of companies in sensitive sectors", None),
        ("ecosystem.mnc_csr_prob", "Share of multinationals with a CSR policy", None),
    ]),
    ("Simulation", [
        ("run.weeks", "Simulated time (years)", "years"),
    ]),
]

# Week counts shown in years wherever they appear (also under "More parameters").
YEAR_KEYS = {"run.weeks", "ngo[*].end_week", "ngo[*].start_week", "ngo[*].follow_on_weeks"}

# Fields the page never offers as controls (text fields that name things; the run's seed has
# its own control).
HIDDEN_KEYS = {"run.name", "run.description", "run.seed", "ngo[*].name", "ngo[*].implementer"}


def lever_groups(fields: list[dict]) -> list[dict]:
    """The control groups for the page: [{title, controls: [{key, label, display, **field}]}],
    the main levers first, then every other field of the table grouped by its table prefix.
    `fields` is pse_sim.field_list(). Keys missing from the table are left out."""
    by_key = {f["key"]: f for f in fields}
    used = set()
    groups = []
    for title, items in LEVER_GROUPS:
        controls = []
        for key, label, display in items:
            if key in by_key:
                controls.append(dict(by_key[key], label=label, display=display or ("years" if key in YEAR_KEYS else None)))
                used.add(key)
        groups.append({"title": title, "main": True, "controls": controls})
    more: dict[str, list] = {}
    for f in fields:
        k = f["key"]
        if k in used or k in HIDDEN_KEYS:
            continue
        prefix = "ngo" if split_key(k).is_ngo else k.split(".")[0]
        more.setdefault(prefix, []).append(dict(f, label=k, display="years" if k in YEAR_KEYS else None))
    for prefix, controls in more.items():
        groups.append({"title": f"More parameters: [{'ngo_defaults' if prefix == 'ngo' else prefix}]", "main": False,
                       "controls": controls})
    return groups
