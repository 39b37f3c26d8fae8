"""Print the README's provenance table (case, source, georeferencing, uncertainty).

Run ``python scripts/provenance_table.py`` and paste the output between the README's
``<!-- provenance -->`` markers; ``tests/test_readme.py`` checks they agree.
"""

from __future__ import annotations

import corridors


def provenance_table() -> str:
    """The provenance table of the bundled catalogue as Markdown."""
    features = corridors.load_features()
    lines = [
        "| case | source | features: role, georeferencing method | uncertainty (km) |",
        "| --- | --- | --- | --- |",
    ]
    for case_id, group in features.groupby("case_id", sort=True):
        first = group.iloc[0]
        source = (
            f"[{first['source']}]({first['source_url']})"
            if first["source_url"]
            else first["source"]
        )
        parts = "; ".join(
            f"{row.feature_name} ({row.role}, {row.georef_method})" for row in group.itertuples()
        )
        low, high = group["uncertainty_km"].min(), group["uncertainty_km"].max()
        spread = f"{low:g}" if low == high else f"{low:g}–{high:g}"
        lines.append(f"| `{case_id}` | {source} | {parts} | {spread} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(provenance_table(), end="")
