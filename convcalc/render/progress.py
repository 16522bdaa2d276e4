"""The progress bar of ``--run`` (stderr, transient): one step per executed layer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

Update = Callable[[int, int, str], None]


@contextmanager
def progress_bar(enabled: bool, description: str) -> Iterator[Update | None]:
    """Yield an ``update(done, total, layer_name)`` callback, or None when disabled."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        TextColumn("{task.description}", markup=False),  # a spec's names are not markup
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[layer]}", markup=False),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=None, layer="")

        def update(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, layer=name)

        yield update
