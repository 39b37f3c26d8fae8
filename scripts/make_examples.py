"""Write the small sample inputs under ``examples/`` that the README's examples use.

Everything here is synthetic and says so: a made-up user catalogue near Pinedale,
Wyoming (one fictional case beside the bundled Fremont Lake mule-deer case), a planned
road that crosses the mule-deer route, a 100 m resistance landscape with three habitat
cores, a Circuitscape pairwise job and an Omniscape job on the same landscape, and GPS
fixes of six simulated mule deer migrating along the catalogue's Fremont Lake route
(``corridors.tracking.simulate_migration``, seeded). Run it from the repository
root; it overwrites ``examples/`` deterministically::

    python scripts/make_examples.py
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin
from scipy.ndimage import gaussian_filter

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "examples"

# The landscape: 80 x 120 cells of 100 m in UTM zone 12N, its north-west corner just
# north-west of the Fremont Lake bottleneck (-109.826, 42.884).
CRS = "EPSG:32612"
CELL_M = 100.0
ROWS, COLS = 80, 120
SEED = 20261206

_TO_UTM = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
_TO_LONLAT = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
_X0, _Y0 = (round(v, -2) for v in _TO_UTM.transform(-109.90, 42.92))
TRANSFORM = from_origin(_X0, _Y0, CELL_M, CELL_M)

# Cell (row, col) of each habitat core.
CORES = {"west-forest": (40, 12), "north-ridge": (10, 95), "south-meadow": (70, 100)}


def _lonlat(row: float, col: float) -> list[float]:
    x, y = TRANSFORM * (col + 0.5, row + 0.5)
    lon, lat = _TO_LONLAT.transform(x, y)
    return [round(lon, 6), round(lat, 6)]


def resistance() -> np.ndarray:
    """Forest ~1, open sage up to ~40, a highway (rows 38-39) of 150 with one underpass."""
    noise = gaussian_filter(np.random.default_rng(SEED).standard_normal((ROWS, COLS)), 6)
    noise = (noise - noise.min()) / (noise.max() - noise.min())
    grid = np.round(1.0 + 40.0 * noise**2, 2)
    grid[:, 60:62] = 150.0  # an existing highway running north-south
    grid[38:40, 60:62] = 2.0  # its one wildlife underpass
    return grid


def write_rasters(grid: np.ndarray) -> None:
    """The resistance as a GeoTIFF (least-cost example) and an ASCII grid (circuit job)."""
    profile = {
        "driver": "GTiff",
        "height": ROWS,
        "width": COLS,
        "count": 1,
        "dtype": "float32",
        "crs": CRS,
        "transform": TRANSFORM,
        "nodata": -9999.0,
    }
    with rasterio.open(OUT / "resistance.tif", "w", **profile) as dst:
        dst.write(grid.astype("float32"), 1)
    header = (
        f"ncols {COLS}\nnrows {ROWS}\nxllcorner {_X0:.1f}\nyllcorner {_Y0 - ROWS * CELL_M:.1f}\n"
        f"cellsize {CELL_M:.1f}\nNODATA_value -9999\n"
    )
    body = "\n".join(" ".join(f"{v:g}" for v in row) for row in grid)
    (OUT / "circuit" / "resistance.asc").write_text(header + body + "\n", encoding="utf-8")
    points = np.full((ROWS, COLS), -9999, dtype=int)
    for n, (row, col) in enumerate(CORES.values(), start=1):
        points[row, col] = n
    body = "\n".join(" ".join(str(v) for v in row) for row in points)
    (OUT / "circuit" / "cores.asc").write_text(header + body + "\n", encoding="utf-8")


JOB = """\
; A Circuitscape pairwise job on the example landscape. As in Circuitscape, relative
; paths are read from the folder you run it in (the repository root); --base-dir
; (base_dir= in Python) names another folder.
[Circuitscape mode]
data_type = raster
scenario = pairwise

[Habitat raster or graph]
habitat_file = examples/circuit/resistance.asc
habitat_map_is_resistances = True

[Options for pairwise and one-to-all and all-to-one modes]
point_file = examples/circuit/cores.asc
use_included_pairs = False

[Connection scheme for raster habitat data]
connect_four_neighbors_only = False
connect_using_avg_resistances = True

[Output options]
output_file = example.out
write_cur_maps = False
write_cum_cur_map_only = True
write_volt_maps = False
compress_grids = False
"""


OMNISCAPE_JOB = """\
; An Omniscape.jl job on the example landscape (relative paths from the folder you run
; it in, as Omniscape.jl reads them). Sources come from the resistance: cells of
; resistance up to r_cutoff are habitat.
[Input files]
resistance_file = examples/circuit/resistance.asc

[Options]
project_name = omniscape_out
radius = 12
block_size = 5
source_from_resistance = true
r_cutoff = 50
calc_normalized_current = true
calc_flow_potential = true
write_as_tif = true
"""

# The simulated herd: six mule deer on a 60 km stretch of the Fremont Lake route, a fix
# every 4 hours, one 3-day stopover halfway, spring 2024.
TRACK_SEED = 7
TRACK_BOX = (-110.1, 42.7, -109.55, 43.1)


def write_tracks() -> None:
    """Movebank-shaped GPS fixes of a simulated herd crossing the planned road."""
    import shapely

    import corridors
    from corridors import tracking

    features = corridors.load_features()
    route = features[
        features["feature_id"] == "fremont-lake-mule-deer/red-desert-to-hoback-migration"
    ].geometry
    stretch = shapely.clip_by_rect(route.iloc[0], *TRACK_BOX)
    fixes = tracking.simulate_migration(
        shapely.LineString(stretch.coords),
        crs="EPSG:4326",
        n_individuals=6,
        fix_interval_h=4,
        motion_variance=600.0,
        location_error_m=20,
        stopovers=[(0.5, 3.0)],
        residence_days=(2.0, 2.0),
        seed=TRACK_SEED,
    )
    tracking.write_movebank(fixes, OUT / "tracks.csv")


def write_vectors() -> None:
    """Cores, the planned road and the small user catalogue (GeoJSON and CSV)."""
    cores = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"core_id": name},
                "geometry": {"type": "Point", "coordinates": _lonlat(*cell)},
            }
            for name, cell in CORES.items()
        ],
    }
    _write_json(OUT / "cores.geojson", cores)
    road = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Planned Pinedale bypass (fictional)", "kind": "road"},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [_lonlat(-30, 80), _lonlat(40, 85), _lonlat(110, 78)],
                },
            }
        ],
    }
    _write_json(OUT / "planned_road.geojson", road)
    features = [_case_area(), _case_site()]
    _write_json(OUT / "my_cases.geojson", {"type": "FeatureCollection", "features": features})
    with (OUT / "my_cases.csv").open("w", encoding="utf-8", newline="") as handle:
        props = [f["properties"] for f in features]
        fields = [*props[0], "lon", "lat"]
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        # CSV catalogues hold points only (lon/lat columns): the site.
        row = dict(props[1])
        row["species"] = "; ".join(f"{s['common']} ({s['scientific']})" for s in row["species"])
        for key in ("countries", "interventions", "threats", "organisations"):
            row[key] = "; ".join(row[key])
        row["lon"], row["lat"] = features[1]["geometry"]["coordinates"]
        writer.writerow(row)


_CASE = {
    "case_id": "example-pinedale-underpass",
    "name": "Example: Pinedale highway underpass (fictional)",
    "summary": (
        "A made-up local case for trying the toolkit: a planned bypass east of Pinedale "
        "would cut a mule-deer route between forest and sage meadows; the planners want "
        "to know where an underpass would keep the route open."
    ),
    "species": [{"common": "Mule deer", "scientific": "Odocoileus hemionus"}],
    "taxon": "mammals",
    "realm": "terrestrial",
    "countries": ["USA"],
    "region": "North America",
    "scale": "landscape",
    "interventions": ["wildlife crossing structures"],
    "threats": ["roads"],
    "organisations": ["Example planning office (fictional)"],
    "source": "example-notes",
    "source_title": "Example planning notes (fictional)",
    "source_url": "https://example.org/pinedale-underpass",
}


def _case_area() -> dict[str, object]:
    corners = [_lonlat(0, 0), _lonlat(0, COLS), _lonlat(ROWS, COLS), _lonlat(ROWS, 0)]
    ring = [*corners, corners[0]]
    props = {
        **_CASE,
        "feature_id": "example-pinedale-underpass/landscape",
        "feature_name": "Example landscape (the resistance raster's extent)",
        "role": "area",
        "georef_method": "approximate-envelope",
        "georef_note": "The extent of the synthetic resistance raster in examples/.",
        "uncertainty_km": 1.0,
    }
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": props,
    }


def _case_site() -> dict[str, object]:
    props = {
        **_CASE,
        "feature_id": "example-pinedale-underpass/underpass",
        "feature_name": "Existing highway underpass (fictional)",
        "role": "site",
        "georef_method": "named-place",
        "georef_note": "The underpass cell of the synthetic resistance raster.",
        "uncertainty_km": 0.2,
    }
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": _lonlat(38.5, 60.5)},
        "properties": props,
    }


def _write_json(path: Path, doc: object) -> None:
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    """Write every example file."""
    (OUT / "circuit").mkdir(parents=True, exist_ok=True)
    write_rasters(resistance())
    (OUT / "circuit" / "job.ini").write_text(JOB, encoding="utf-8")
    (OUT / "omniscape").mkdir(exist_ok=True)
    (OUT / "omniscape" / "job.ini").write_text(OMNISCAPE_JOB, encoding="utf-8")
    write_vectors()
    write_tracks()
    for path in sorted(OUT.rglob("*")):
        if path.is_file():
            print(f"{path.relative_to(ROOT)}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
