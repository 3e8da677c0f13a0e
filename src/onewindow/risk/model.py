"""Learned fraud-risk model for import declarations.

The model is a gradient-boosted tree ensemble over three kinds of features:

* smoothed target statistics (fraud rate, critical-fraud rate and number of past
  declarations) for parties, commodities and their crosses, e.g. importer x HS6 or
  HS6 x declared value; on the training data they are computed out of fold so that a row
  never sees its own label;
* unit values: declared value per kg and its distance from the usual value per kg of the
  same HS6 / HS4 heading;
* a few raw amounts (declared value, net mass, number of goods items).

It reads only what a goods declaration carries or derives (see :data:`FIELDS`), so that it
sees at scoring what it learned on. The public data set's columns are mapped onto those
fields (:data:`CSV_COLUMNS`, and :data:`DERIVED` for the fields made of several columns);
its columns that no declaration gives (:data:`LEFT_OUT`) are not used.

Critical frauds (``Critical Fraud == 2``) get a larger sample weight so that, among the
declarations the model is sure about, the critical ones come first.

Records may name their fields either with the CSV column names of the public data set
(``"Importer ID"``) or with the internal field names (``"importer"``); see
:data:`CSV_COLUMNS`. The model is stored as JSON (booster text plus encoding tables),
never pickled.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd

from onewindow import __version__

FloatArray = npt.NDArray[np.float64]

#: Identifies the serialised layout; bump it when the features or the JSON change.
MODEL_FORMAT = "onewindow-risk/2"

#: The fields the model reads: internal name -> what a declaration gives, and what the public
#: data set gives in its place. This is the model card's list of inputs.
FIELDS: dict[str, tuple[str, str]] = {
    "office": ("office of lodgement", "Office ID"),
    "declaration_type": ("additional declaration type", "Process Type"),
    "procedure": ("procedure code of the goods item", "Import Type and Import Use"),
    "transport_mode": ("mode of transport at the border", "Mode of Transport"),
    "declarant": ("declarant identifier", "Declarant ID"),
    "importer": ("importer identifier", "Importer ID"),
    "exporter": ("exporter identifier (or name)", "Seller ID"),
    "hs6": ("HS subheading, with its heading and chapter", "HS6 Code"),
    "export_country": ("country of export", "Country of Departure"),
    "origin_country": ("country of origin of the item", "Country of Origin"),
    "preference": ("preference claimed (Y/N)", "Tax Type: an FTA rate (F...) is a claim"),
    "net_mass": ("net mass in kg (with the value, value per kg)", "Net Mass"),
    "item_price": ("item value (with the mass, value per kg)", "Item Price"),
    "items": ("number of goods items", "1: a row is a declaration of one item"),
}
#: Columns of the data set that no declaration gives: the model does not read them.
LEFT_OUT: tuple[str, ...] = (
    "Payment Type",
    "Courier ID",
    "Tax Rate",
    "Country of Origin Indicator",
)

#: CSV column name of the public declarations data set -> internal field name, for the
#: columns that give a field as they are. Declarations are mapped onto the internal names.
CSV_COLUMNS: dict[str, str] = {
    "Declaration ID": "declaration_id",
    "Date": "date",
    "Office ID": "office",
    "Process Type": "declaration_type",
    "Mode of Transport": "transport_mode",
    "Declarant ID": "declarant",
    "Importer ID": "importer",
    "Seller ID": "exporter",
    "HS6 Code": "hs6",
    "Country of Departure": "export_country",
    "Country of Origin": "origin_country",
    "Net Mass": "net_mass",
    "Item Price": "item_price",
    "Fraud": "fraud",
    "Critical Fraud": "critical_fraud",
}
#: Fields made of data-set columns (see _derive): field -> the columns it needs.
DERIVED: dict[str, tuple[str, ...]] = {
    "procedure": ("Import Type", "Import Use"),
    "preference": ("Tax Type",),
}
FIELD_TO_CSV: dict[str, str] = {name: column for column, name in CSV_COLUMNS.items()}

# Free-text identifiers and codes: compared after trimming and upper-casing.
TEXT_FIELDS: tuple[str, ...] = (
    "declaration_type",
    "declarant",
    "importer",
    "exporter",
    "export_country",
    "origin_country",
    "preference",
)
# Numeric code lists: 30, "30" and 30.0 are the same code.
CODE_FIELDS: tuple[str, ...] = ("office", "procedure", "transport_mode")
AMOUNT_FIELDS: tuple[str, ...] = ("net_mass", "item_price", "items")
HS_FIELD = "hs6"
FEATURE_FIELDS: tuple[str, ...] = TEXT_FIELDS + CODE_FIELDS + AMOUNT_FIELDS + (HS_FIELD,)
#: Fields a declaration may leave out (not every shipment names its exporter); a row without
#: a number of items is one item.
OPTIONAL_FIELDS: frozenset[str] = frozenset({"exporter", "items"})
REQUIRED_FIELDS: tuple[str, ...] = tuple(f for f in FEATURE_FIELDS if f not in OPTIONAL_FIELDS)
LABEL_FIELDS: tuple[str, ...] = ("fraud", "critical_fraud")

#: Target-statistic groups: human-readable label -> fields whose tokens form the key.
#: "hs4", "hs2" and "value_band" are derived from the declaration (see _derived_tokens).
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("declarant", ("declarant",)),
    ("importer", ("importer",)),
    ("exporter", ("exporter",)),
    ("office", ("office",)),
    ("declaration type", ("declaration_type",)),
    ("procedure", ("procedure",)),
    ("transport mode", ("transport_mode",)),
    ("HS6", ("hs6",)),
    ("HS4", ("hs4",)),
    ("HS2", ("hs2",)),
    ("export country", ("export_country",)),
    ("origin country", ("origin_country",)),
    ("preference", ("preference",)),
    ("declared value", ("item_price",)),
    ("net mass", ("net_mass",)),
    ("importer x HS6", ("importer", "hs6")),
    ("declarant x importer", ("declarant", "importer")),
    ("importer x exporter", ("importer", "exporter")),
    ("declarant x exporter", ("declarant", "exporter")),
    ("declarant x HS6", ("declarant", "hs6")),
    ("exporter x HS6", ("exporter", "hs6")),
    ("office x HS6", ("office", "hs6")),
    ("HS6 x origin", ("hs6", "origin_country")),
    ("HS6 x export x origin", ("hs6", "export_country", "origin_country")),
    ("HS6 x preference", ("hs6", "preference")),
    ("HS6 x declared value", ("hs6", "item_price")),
    ("HS6 x net mass", ("hs6", "net_mass")),
    ("HS6 x net mass x declared value", ("hs6", "net_mass", "item_price")),
    ("HS6 x value-per-kg band", ("hs6", "value_band")),
)
NUMERIC_FEATURES: tuple[str, ...] = (
    "number of items",
    "log declared value",
    "log net mass",
    "log value per kg",
    "value per kg vs HS6 median",
    "value per kg vs HS4 median",
)
_STAT_SUFFIXES: tuple[str, ...] = ("fraud rate", "critical-fraud rate", "declarations seen")
FEATURE_NAMES: tuple[str, ...] = (
    tuple(f"{label} {suffix}" for label, _ in GROUPS for suffix in _STAT_SUFFIXES)
    + NUMERIC_FEATURES
)

# Cross keys join tokens with a control character that never occurs in a token.
_SEP = "\x1f"
# Width of a value-per-kg band in natural-log units (about 10 % of the value).
_BAND_WIDTH = 0.1


@dataclass(frozen=True)
class RiskParams:
    """Training settings; the defaults were chosen on a time split of the 2020 data."""

    rounds: int = 400
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_data_in_leaf: int = 20
    feature_fraction: float = 0.8
    bagging_fraction: float = 0.8
    #: Pseudo-count pulling a group's rate towards the overall rate.
    smoothing: float = 20.0
    #: Folds for the out-of-fold target statistics on the training data.
    folds: int = 5
    #: Sample weight of critical frauds (ordinary rows weigh 1).
    critical_weight: float = 100.0
    seed: int = 0
    #: One thread: on a small, shared machine extra threads mostly wait on each other.
    num_threads: int = 1


@dataclass
class RiskMetadata:
    """What is known about a trained model, stored alongside it."""

    format: str
    version: str
    trained_at: str
    training_rows: int
    features: list[str]
    params: dict[str, float | int]
    #: The declaration fields it reads (see FIELDS).
    fields: list[str] = field(default_factory=lambda: list(FIELDS))
    metrics: dict[str, dict[str, float]] | None = None


# --------------------------------------------------------------------------- tokens


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def _number(value: object) -> float:
    """Returns ``value`` as a float, NaN when missing; raises ValueError when not a number."""
    if _is_missing(value):
        return math.nan
    if isinstance(value, str):
        return float(value.strip())
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    return float(str(value))


def _number_token(x: float) -> str:
    if math.isnan(x):
        return ""
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def _text_token(value: object) -> str:
    return "" if _is_missing(value) else str(value).strip().upper()


def _numeric_token(value: object) -> str:
    """Codes and amounts: 30, "30" and 30.0 give "30"; text that is no number stays text."""
    try:
        return _number_token(_number(value))
    except (TypeError, ValueError):
        return _text_token(value)


def _hs_token(value: object) -> str:
    """Six-digit HS subheading: 71080 -> "071080", "0710.80" -> "071080"."""
    if _is_missing(value):
        return ""
    if isinstance(value, int | float | np.integer | np.floating):
        digits = str(int(value))
    else:
        digits = "".join(ch for ch in str(value) if ch.isdigit())
    # A leading zero is lost when a code was stored as a number.
    return digits.zfill(6)[:6] if digits else ""


def _token(name: str, value: object) -> str:
    if name == HS_FIELD:
        return _hs_token(value)
    if name in CODE_FIELDS or name in AMOUNT_FIELDS:
        return _numeric_token(value)
    return _text_token(value)


def _safe_number(value: object) -> float:
    try:
        return _number(value)
    except (TypeError, ValueError):
        return math.nan


def _log_value_per_kg(price: float, mass: float) -> float:
    # log1p keeps zero values and zero masses finite.
    return math.log1p(max(price, 0.0)) - math.log1p(max(mass, 0.0))


def _value_band(log_value_per_kg: float) -> str:
    if math.isnan(log_value_per_kg):
        return ""
    return str(math.floor(log_value_per_kg / _BAND_WIDTH + 0.5))


# ------------------------------------------------------------------------- encoder


def _smoothed_rates(
    count: FloatArray,
    fraud: FloatArray,
    critical: FloatArray,
    prior_fraud: float,
    prior_critical: float,
    smoothing: float,
) -> tuple[FloatArray, FloatArray]:
    denominator = count + smoothing
    return (
        (fraud + smoothing * prior_fraud) / denominator,
        (critical + smoothing * prior_critical) / denominator,
    )


@dataclass
class _GroupTable:
    """Counts of one target-statistic group over the whole training data."""

    keys: list[str]
    count: FloatArray
    fraud: FloatArray
    critical: FloatArray
    _index: pd.Index | None = field(default=None, repr=False)
    _lookup: dict[str, tuple[float, float, float]] | None = field(default=None, repr=False)

    def index(self) -> pd.Index:
        if self._index is None:
            self._index = pd.Index(self.keys, dtype=object)
        return self._index


class _Encoder:
    """Turns declarations into the feature matrix; holds everything learned from the data."""

    def __init__(
        self,
        tables: dict[str, _GroupTable],
        medians: dict[str, dict[str, float]],
        prior_fraud: float,
        prior_critical: float,
        smoothing: float,
    ) -> None:
        self.tables = tables
        self.medians = medians
        self.prior_fraud = prior_fraud
        self.prior_critical = prior_critical
        self.smoothing = smoothing
        one = np.zeros(1)
        unseen_f, unseen_c = self._rates(one, one, one)
        self._unseen = (float(unseen_f[0]), float(unseen_c[0]), 0.0)

    def _rates(
        self, count: FloatArray, fraud: FloatArray, critical: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        return _smoothed_rates(
            count, fraud, critical, self.prior_fraud, self.prior_critical, self.smoothing
        )

    # -- fitting ------------------------------------------------------------------

    @classmethod
    def fit_transform(
        cls, tokens: pd.DataFrame, fraud: FloatArray, critical: FloatArray, params: RiskParams
    ) -> tuple[_Encoder, FloatArray]:
        """Learns the tables from all rows; returns them and the out-of-fold features."""
        n = len(tokens)
        folds = np.random.default_rng(params.seed).integers(0, params.folds, size=n)
        prior_fraud = float(fraud.mean()) if n else 0.0
        prior_critical = float(critical.mean()) if n else 0.0
        columns: list[FloatArray] = []
        tables: dict[str, _GroupTable] = {}
        for label, fields in GROUPS:
            codes, uniques = pd.factorize(_group_keys(tokens, fields), sort=False)
            k = len(uniques)
            total_n = np.bincount(codes, minlength=k).astype(np.float64)
            total_f = np.bincount(codes, weights=fraud, minlength=k).astype(np.float64)
            total_c = np.bincount(codes, weights=critical, minlength=k).astype(np.float64)
            # Subtracting the row's own fold leaves the statistics of the other folds.
            cell = codes * params.folds + folds
            size = k * params.folds
            fold_n = np.bincount(cell, minlength=size).astype(np.float64)
            fold_f = np.bincount(cell, weights=fraud, minlength=size)
            fold_c = np.bincount(cell, weights=critical, minlength=size)
            oof_n = total_n[codes] - fold_n[cell]
            oof_f = total_f[codes] - fold_f[cell]
            oof_c = total_c[codes] - fold_c[cell]
            rate_f, rate_c = _smoothed_rates(
                oof_n, oof_f, oof_c, prior_fraud, prior_critical, params.smoothing
            )
            columns += [rate_f, rate_c, oof_n]
            tables[label] = _GroupTable(
                keys=[str(u) for u in uniques], count=total_n, fraud=total_f, critical=total_c
            )
        medians = _fit_medians(tokens)
        encoder = cls(tables, medians, prior_fraud, prior_critical, params.smoothing)
        matrix = np.column_stack(columns + encoder._numeric_columns(tokens))
        return encoder, matrix

    # -- transforming ---------------------------------------------------------------

    def transform(self, tokens: pd.DataFrame) -> FloatArray:
        """Features of unseen rows, with statistics from all the training data."""
        columns: list[FloatArray] = []
        for label, fields in GROUPS:
            table = self.tables[label]
            position = table.index().get_indexer(_group_keys(tokens, fields))
            seen = position >= 0
            safe = np.where(seen, position, 0)
            count = np.where(seen, table.count[safe], 0.0)
            fraud = np.where(seen, table.fraud[safe], 0.0)
            critical = np.where(seen, table.critical[safe], 0.0)
            rate_f, rate_c = self._rates(count, fraud, critical)
            columns += [rate_f, rate_c, count]
        return np.column_stack(columns + self._numeric_columns(tokens))

    def _lookup(self, label: str) -> dict[str, tuple[float, float, float]]:
        table = self.tables[label]
        if table._lookup is None:
            rate_f, rate_c = self._rates(table.count, table.fraud, table.critical)
            table._lookup = dict(
                zip(
                    table.keys,
                    zip(rate_f.tolist(), rate_c.tolist(), table.count.tolist(), strict=True),
                    strict=True,
                )
            )
        return table._lookup

    def transform_record(self, record: Mapping[str, object]) -> FloatArray:
        """Features of one declaration built from dictionary look-ups (no frame)."""
        tokens = _record_tokens(record)
        values: list[float] = []
        for label, fields in GROUPS:
            key = _SEP.join(tokens[f] for f in fields)
            values.extend(self._lookup(label).get(key, self._unseen))
        values.extend(
            self._numeric_values(
                tokens["hs6"], tokens["hs4"], tokens["_price"], tokens["_mass"], tokens["_items"]
            )
        )
        return np.asarray([values], dtype=np.float64)

    def _numeric_values(
        self, hs6: str, hs4: str, price: float, mass: float, items: float
    ) -> tuple[float, ...]:
        luv = _log_value_per_kg(price, mass)
        return (
            items,
            math.log1p(max(price, 0.0)),
            math.log1p(max(mass, 0.0)),
            luv,
            luv - self.medians["hs6"].get(hs6, math.nan),
            luv - self.medians["hs4"].get(hs4, math.nan),
        )

    def _numeric_columns(self, tokens: pd.DataFrame) -> list[FloatArray]:
        rows = [
            self._numeric_values(*row)
            for row in zip(
                tokens["hs6"],
                tokens["hs4"],
                tokens["_price"],
                tokens["_mass"],
                tokens["_items"],
                strict=True,
            )
        ]
        matrix = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(NUMERIC_FEATURES))
        return [matrix[:, i] for i in range(matrix.shape[1])]

    # -- serialisation ----------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "smoothing": self.smoothing,
            "prior_fraud": self.prior_fraud,
            "prior_critical": self.prior_critical,
            "medians_log_value_per_kg": self.medians,
            "groups": {
                label: {
                    "fields": list(fields),
                    "keys": self.tables[label].keys,
                    # Sums of 0/1 labels are whole numbers; ints keep the JSON small.
                    "count": [int(v) for v in self.tables[label].count],
                    "fraud": [int(v) for v in self.tables[label].fraud],
                    "critical": [int(v) for v in self.tables[label].critical],
                }
                for label, fields in GROUPS
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _Encoder:
        groups = data["groups"]
        expected = [label for label, _ in GROUPS]
        if list(groups) != expected:
            raise ValueError("stored risk model has a different feature layout")
        tables = {
            label: _GroupTable(
                keys=list(entry["keys"]),
                count=np.asarray(entry["count"], dtype=np.float64),
                fraud=np.asarray(entry["fraud"], dtype=np.float64),
                critical=np.asarray(entry["critical"], dtype=np.float64),
            )
            for label, entry in groups.items()
        }
        medians = {
            level: {k: float(v) for k, v in table.items()}
            for level, table in data["medians_log_value_per_kg"].items()
        }
        return cls(
            tables,
            medians,
            float(data["prior_fraud"]),
            float(data["prior_critical"]),
            float(data["smoothing"]),
        )


def _group_keys(tokens: pd.DataFrame, fields: Sequence[str]) -> pd.Series:
    key: pd.Series = tokens[fields[0]]
    for name in fields[1:]:
        key = key + _SEP + tokens[name]
    return key


def _fit_medians(tokens: pd.DataFrame) -> dict[str, dict[str, float]]:
    luv = pd.Series(
        [_log_value_per_kg(p, m) for p, m in zip(tokens["_price"], tokens["_mass"], strict=True)],
        index=tokens.index,
        dtype=np.float64,
    )
    medians: dict[str, dict[str, float]] = {}
    for level in ("hs6", "hs4"):
        grouped = luv.groupby(tokens[level].to_numpy()).median()
        medians[level] = {
            str(k): float(v) for k, v in grouped.items() if k != "" and not math.isnan(v)
        }
    return medians


# ------------------------------------------------------------------ frames, records


def _procedure(import_type: object, import_use: object) -> str:
    """The data set's kind of import and its use, together, play the procedure code's part."""
    return f"{_numeric_token(import_type)}-{_numeric_token(import_use)}"


def _preference(tax_type: object) -> str:
    """A duty rate under a free-trade agreement (Korean tax types F...) means a preference
    was claimed."""
    return "Y" if _text_token(tax_type).startswith("F") else "N"


def _missing_column(name: str, present: Iterable[str]) -> ValueError | None:
    if name in present:
        return None
    columns = DERIVED.get(name, (FIELD_TO_CSV.get(name, name),))
    absent = next((c for c in columns if c not in present), columns[0])
    return ValueError(f"declarations lack the column {absent!r} ({name})")


def _canonical_frame(frame: pd.DataFrame, *, labelled: bool) -> pd.DataFrame:
    """Renames CSV columns to field names, derives the fields made of several data-set
    columns, and checks the required ones are present."""
    renamed = frame.rename(columns={c: CSV_COLUMNS[c] for c in frame.columns if c in CSV_COLUMNS})
    if "procedure" not in renamed and {"Import Type", "Import Use"} <= set(renamed.columns):
        renamed["procedure"] = [
            _procedure(t, u)
            for t, u in zip(renamed["Import Type"], renamed["Import Use"], strict=True)
        ]
    if "preference" not in renamed and "Tax Type" in renamed:
        renamed["preference"] = [_preference(t) for t in renamed["Tax Type"]]
    required = REQUIRED_FIELDS + (LABEL_FIELDS if labelled else ())
    for name in required:
        problem = _missing_column(name, renamed.columns)
        if problem is not None:
            raise problem
    return renamed


def _frame_tokens(frame: pd.DataFrame) -> pd.DataFrame:
    """Normalised string tokens of each field, derived keys and the raw amounts."""
    out: dict[str, Any] = {}
    n = len(frame)
    for name in FEATURE_FIELDS:
        if name in frame.columns:
            values = frame[name].tolist()
            out[name] = [_token(name, v) for v in values]
        else:
            out[name] = [""] * n
    price = [_safe_number(v) for v in frame["item_price"].tolist()]
    mass = [_safe_number(v) for v in frame["net_mass"].tolist()]
    items = [_items(v) for v in frame["items"].tolist()] if "items" in frame else [1.0] * n
    out["hs4"] = [t[:4] for t in out["hs6"]]
    out["hs2"] = [t[:2] for t in out["hs6"]]
    out["value_band"] = [
        _value_band(_log_value_per_kg(p, m)) for p, m in zip(price, mass, strict=True)
    ]
    tokens = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in out.items()})
    tokens["_price"] = np.asarray(price, dtype=np.float64)
    tokens["_mass"] = np.asarray(mass, dtype=np.float64)
    tokens["_items"] = np.asarray(items, dtype=np.float64)
    return tokens


def _record_tokens(record: Mapping[str, object]) -> dict[str, Any]:
    """Same tokens as _frame_tokens for one declaration given as a mapping."""
    values: dict[str, object] = {}
    for key, value in record.items():
        values[CSV_COLUMNS.get(key, key)] = value
    if "procedure" not in values and "Import Type" in values and "Import Use" in values:
        values["procedure"] = _procedure(values["Import Type"], values["Import Use"])
    if "preference" not in values and "Tax Type" in values:
        values["preference"] = _preference(values["Tax Type"])
    tokens: dict[str, Any] = {}
    for name in FEATURE_FIELDS:
        if name not in values and name not in OPTIONAL_FIELDS:
            columns = " and ".join(DERIVED.get(name, (FIELD_TO_CSV.get(name, name),)))
            raise ValueError(f"declaration lacks the field {name!r} ({columns})")
        tokens[name] = _token(name, values.get(name))
    price = _safe_number(values["item_price"])
    mass = _safe_number(values["net_mass"])
    tokens["hs4"] = tokens["hs6"][:4]
    tokens["hs2"] = tokens["hs6"][:2]
    tokens["value_band"] = _value_band(_log_value_per_kg(price, mass))
    tokens["_price"] = price
    tokens["_mass"] = mass
    tokens["_items"] = _items(values.get("items"))
    return tokens


def _items(value: object) -> float:
    """The number of goods items of the declaration; one when not given."""
    number = _safe_number(value)
    return 1.0 if math.isnan(number) else number


def _labels(frame: pd.DataFrame) -> tuple[FloatArray, FloatArray]:
    """Fraud (0/1) and critical-fraud (1 where ``critical_fraud == 2``) label vectors."""
    fraud = pd.to_numeric(frame["fraud"], errors="coerce").to_numpy(dtype=np.float64)
    critical = pd.to_numeric(frame["critical_fraud"], errors="coerce").to_numpy(dtype=np.float64)
    if np.isnan(fraud).any() or not np.isin(fraud, (0.0, 1.0)).all():
        raise ValueError("column 'Fraud' must hold 0 or 1 in every row")
    if np.isnan(critical).any() or not np.isin(critical, (0.0, 1.0, 2.0)).all():
        raise ValueError("column 'Critical Fraud' must hold 0, 1 or 2 in every row")
    return fraud, (critical == 2.0).astype(np.float64)


def read_declarations_csv(paths: Sequence[Path], *, labelled: bool = True) -> pd.DataFrame:
    """Reads and concatenates declaration CSV files (public data set layout).

    Identifiers are kept as text. Raises ValueError naming the first missing column;
    the label columns are required unless ``labelled`` is false.
    """
    if not paths:
        raise ValueError("no declaration files given")
    text_columns = {
        FIELD_TO_CSV[f] for f in TEXT_FIELDS + CODE_FIELDS + (HS_FIELD,) if f in FIELD_TO_CSV
    } | {c for columns in DERIVED.values() for c in columns}
    frames = []
    for path in paths:
        frame = pd.read_csv(path, dtype={c: str for c in text_columns})
        _canonical_frame(frame, labelled=labelled)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


# ----------------------------------------------------------------------------- model


class RiskModel:
    """A trained fraud-risk model: scores, explanations and JSON serialisation."""

    def __init__(self, booster: lgb.Booster, encoder: _Encoder, metadata: RiskMetadata) -> None:
        self._booster = booster
        self._encoder = encoder
        self.metadata = metadata

    @classmethod
    def train(cls, frame: pd.DataFrame, params: RiskParams | None = None) -> RiskModel:
        """Trains on labelled declarations (CSV or internal column names).

        Deterministic for a given frame and ``params``.
        """
        params = params or RiskParams()
        canonical = _canonical_frame(frame, labelled=True)
        if len(canonical) == 0:
            raise ValueError("no declarations to train on")
        fraud, critical = _labels(canonical)
        tokens = _frame_tokens(canonical)
        encoder, matrix = _Encoder.fit_transform(tokens, fraud, critical, params)
        weight = np.where(critical == 1.0, params.critical_weight, 1.0)
        dataset = lgb.Dataset(
            matrix,
            label=fraud,
            weight=weight,
            feature_name=[_lgb_name(n) for n in FEATURE_NAMES],
        )
        booster = lgb.train(_booster_params(params), dataset, num_boost_round=params.rounds)
        metadata = RiskMetadata(
            format=MODEL_FORMAT,
            version=__version__,
            trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
            training_rows=len(canonical),
            features=list(FEATURE_NAMES),
            params=asdict(params),
        )
        return cls(booster, encoder, metadata)

    def score(self, frame: pd.DataFrame) -> FloatArray:
        """Fraud score in [0, 1] for each row of ``frame``, in row order."""
        canonical = _canonical_frame(frame, labelled=False)
        if len(canonical) == 0:
            return np.zeros(0, dtype=np.float64)
        matrix = self._encoder.transform(_frame_tokens(canonical))
        return np.asarray(self._booster.predict(matrix), dtype=np.float64)

    def score_one(self, record: Mapping[str, object]) -> float:
        """Fraud score of one declaration; equal to :meth:`score` on the same row."""
        vector = self._encoder.transform_record(record)
        return float(self._booster.predict(vector, num_threads=1)[0])

    def explain(self, record: Mapping[str, object], top: int = 5) -> list[tuple[str, float]]:
        """The features pushing this declaration's score up, strongest first.

        Each pair is (feature name, contribution in log-odds); only positive
        contributions are listed, at most ``top`` of them.
        """
        vector = self._encoder.transform_record(record)
        contributions = np.asarray(self._booster.predict(vector, pred_contrib=True, num_threads=1))[
            0, :-1
        ]
        order = np.argsort(-contributions, kind="stable")
        return [
            (FEATURE_NAMES[i], float(contributions[i])) for i in order[:top] if contributions[i] > 0
        ]

    @property
    def training_fraud_rate(self) -> float:
        """Share of fraudulent declarations in the training data."""
        return self._encoder.prior_fraud

    def unseen_shares(self, records: Sequence[Mapping[str, object]]) -> dict[str, float]:
        """Per target-statistic group, the share of ``records`` whose key the training data
        never had (the model then falls back on the overall rate). Empty records: all 0.0."""
        tokens = [_record_tokens(r) for r in records]
        shares: dict[str, float] = {}
        for label, fields in GROUPS:
            lookup = self._encoder._lookup(label)
            unseen = sum(_SEP.join(t[f] for f in fields) not in lookup for t in tokens)
            shares[label] = unseen / len(tokens) if tokens else 0.0
        return shares

    # -- serialisation ------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """UTF-8 JSON holding the metadata, the encoding tables and the booster text."""
        document = {
            "metadata": asdict(self.metadata),
            "encoder": self._encoder.to_json(),
            "booster": self._booster.model_to_string(),
        }
        return json.dumps(document, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> RiskModel:
        """Reads what :meth:`to_bytes` wrote; raises ValueError on another format."""
        document = json.loads(data.decode("utf-8"))
        meta = document.get("metadata", {})
        if meta.get("format") != MODEL_FORMAT:
            raise ValueError(f"not a {MODEL_FORMAT} model: {meta.get('format')!r}")
        metadata = RiskMetadata(**meta)
        booster = lgb.Booster(model_str=document["booster"])
        return cls(booster, _Encoder.from_json(document["encoder"]), metadata)

    def save(self, path: Path) -> None:
        """Writes the model to ``path`` (JSON)."""
        Path(path).write_bytes(self.to_bytes())

    @classmethod
    def load(cls, path: Path) -> RiskModel:
        """Reads a model written by :meth:`save`."""
        return cls.from_bytes(Path(path).read_bytes())


def _lgb_name(name: str) -> str:
    # The booster's own feature names may not contain spaces.
    return name.replace(" ", "_")


def _booster_params(params: RiskParams) -> dict[str, Any]:
    return {
        "objective": "binary",
        "learning_rate": params.learning_rate,
        "num_leaves": params.num_leaves,
        "min_data_in_leaf": params.min_data_in_leaf,
        "feature_fraction": params.feature_fraction,
        "bagging_fraction": params.bagging_fraction,
        "bagging_freq": 1,
        "seed": params.seed,
        "num_threads": params.num_threads,
        "deterministic": True,
        "force_row_wise": True,
        "verbose": -1,
    }


# ------------------------------------------------------------------------ evaluation


def _selected_count(total: int, rate: float) -> int:
    # Half-up rounding of n % of the rows, at least one row when there are any.
    return min(total, max(1, math.floor(total * rate / 100.0 + 0.5))) if total else 0


def _rate_key(rate: float) -> str:
    return f"{rate:g}"


def evaluate(
    scores: Sequence[float] | FloatArray,
    fraud: Sequence[int] | npt.NDArray[Any],
    critical: Sequence[int] | npt.NDArray[Any],
    rates: Iterable[float] = (1, 2, 5, 10),
) -> dict[str, dict[str, float]]:
    """Precision@n%, Recall@n% and critical-fraud recall@n% of a ranking by score.

    The top n % are the ``round(n/100 * rows)`` highest scores (ties keep row order).
    ``fraud`` is 0/1; ``critical`` is the Critical Fraud column, where 2 marks a
    critical fraud. A recall with nothing to find is 0.0.
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(fraud, dtype=np.float64) == 1.0
    c = np.asarray(critical, dtype=np.float64) == 2.0
    if not (len(s) == len(y) == len(c)):
        raise ValueError("scores, fraud and critical must have the same length")
    order = np.argsort(-s, kind="stable")
    total_fraud = int(y.sum())
    total_critical = int(c.sum())
    result: dict[str, dict[str, float]] = {
        "precision_at": {},
        "recall_at": {},
        "critical_recall_at": {},
    }
    for rate in rates:
        k = _selected_count(len(s), float(rate))
        top = order[:k]
        caught = int(y[top].sum())
        key = _rate_key(float(rate))
        result["precision_at"][key] = caught / k if k else 0.0
        result["recall_at"][key] = caught / total_fraud if total_fraud else 0.0
        result["critical_recall_at"][key] = (
            int(c[top].sum()) / total_critical if total_critical else 0.0
        )
    return result


def threshold_for_rate(scores: Sequence[float] | FloatArray, rate: float) -> float:
    """Score threshold such that ``score >= threshold`` selects about ``rate`` % of rows.

    It is the score of the last row in the top ``rate`` % (more rows are selected only
    when scores tie). With no scores the threshold is +inf (nothing selected).
    """
    s = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    k = _selected_count(len(s), rate)
    return float(s[k - 1]) if k else math.inf


def evaluate_files(
    train_paths: Sequence[Path],
    test_path: Path,
    params: RiskParams | None = None,
) -> dict[str, dict[str, float]]:
    """Trains on ``train_paths`` and returns :func:`evaluate` on ``test_path``."""
    model = RiskModel.train(read_declarations_csv(train_paths), params)
    test = read_declarations_csv([test_path])
    canonical = _canonical_frame(test, labelled=True)
    return evaluate(model.score(test), canonical["fraud"], canonical["critical_fraud"])
