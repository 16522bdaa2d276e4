"""The floor convcalc summary is measured against: a minimal typer + rich program that prints a
22-row table (VGG16's layer count) with hard-coded rows. Nothing is computed."""

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer()


@app.command()
def main(path: str = "") -> None:
    table = Table(title="vgg16")
    for col in ("Layer (type)", "Output Shape", "Param #", "MACs"):
        table.add_column(col)
    for i in range(22):
        table.add_row(f"layer_{i} (Conv2D)", "(None, 224, 224, 64)", f"{i * 1000:,}", f"{i:,}")
    Console().print(table)


if __name__ == "__main__":
    app()
