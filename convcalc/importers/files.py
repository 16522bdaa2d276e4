"""Reading the files importers take: JSON text (with every value's ``line:col``) and the
``config.json`` inside a ``.keras`` zip archive (never extracted: one member is read, with its
size checked first)."""

from __future__ import annotations

import io
from pathlib import Path

from convcalc.errors import Location, SpecError
from convcalc.importers.document import MAX_BYTES, fail, read_bytes
from convcalc.spec.yaml_source import Source, load_yaml


def json_source(raw: bytes, file: str) -> Source:
    """Parse JSON; the values come from :mod:`json` (``1e-05`` is a number, as JSON says) and
    the positions from the YAML composer (JSON is YAML), so errors can name ``line:col``."""
    import json

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(
            Location(file), f"is not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(
            Location(file, exc.lineno, exc.colno),
            f"malformed JSON: {exc.msg}",
            hint="the file should be the text of model.to_json()",
        ) from None
    try:
        src = load_yaml(text, file)
    except SpecError as err:
        if any(p.message.startswith("duplicate key") for p in err.problems):
            raise
        src = Source(file, None)  # valid JSON that PyYAML does not compose: no positions
    src.data = data
    return src


def keras_archive(path: str | Path, raw: bytes | None = None) -> Source:
    """The ``config.json`` of a ``.keras`` archive (Keras 3, tf.keras 2.13+); ``raw``: the
    archive's bytes when they do not come from ``path``."""
    import zipfile

    file = str(path)
    if raw is None:
        read_bytes(path, "Keras archive")  # exists, is a file, is not huge
    elif len(raw) > MAX_BYTES:
        raise fail(
            Location(file), f"is {len(raw):,} bytes; a Keras archive over {MAX_BYTES:,} is not read"
        )
    where = f"{file}[config.json]"
    try:
        with zipfile.ZipFile(path if raw is None else io.BytesIO(raw)) as zf:
            try:
                info = zf.getinfo("config.json")
            except KeyError:
                raise fail(
                    Location(file),
                    "this zip archive has no config.json: it is not a .keras model",
                    hint="save the model with model.save('model.keras')",
                ) from None
            if info.file_size > MAX_BYTES:
                raise fail(Location(where), f"config.json is {info.file_size:,} bytes: refused")
            raw = zf.read(info)
    except zipfile.BadZipFile:
        raise fail(
            Location(file),
            "is not a zip archive: a .keras file is the zip that model.save('model.keras') writes",
            hint="for the text of model.to_json(), name the file .json",
        ) from None
    except (OSError, RuntimeError, NotImplementedError) as exc:
        raise fail(Location(file), f"cannot be read as a zip archive ({exc})") from None
    return json_source(raw, where)
