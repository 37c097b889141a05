"""Write docs/see_through.md (and its plots in docs/see_through/) from examples/see_through.ipynb.

The page is the notebook, executed: its markdown as text, its code in Python blocks, what the code
printed in plain blocks, and its figures as PNG files. Run it after changing the notebook:

    PYTHONPATH=src python docs/make_see_through.py
"""

from __future__ import annotations

import base64
import os
import re
import sys
from pathlib import Path

import nbclient
import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "see_through.ipynb"
PAGE = ROOT / "docs" / "see_through.md"
FIGURES = ROOT / "docs" / "see_through"


def execute(path: Path = NOTEBOOK) -> nbformat.NotebookNode:
    """The notebook at ``path`` with its outputs (run in its own folder, with this glassnet on the path)."""
    notebook = nbformat.read(path, as_version=4)
    source = str(ROOT / "src")
    os.environ["PYTHONPATH"] = os.pathsep.join([source, *filter(None, [os.environ.get("PYTHONPATH")])])
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return notebook


def outputs_text(cell: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(kind, content) of a code cell's outputs: ("text", ...) or ("png", base64 data)."""
    found = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream" and output.name == "stdout":
            found.append(("text", output.text))
        elif output.output_type == "stream":
            found.append(("text", output.text))
        elif "data" in output:
            data = output["data"]
            if "image/png" in data:
                found.append(("png", data["image/png"]))
            elif "text/plain" in data:
                found.append(("text", data["text/plain"]))
    return found


def write_page(notebook: nbformat.NotebookNode) -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    for old in FIGURES.glob("*.png"):
        old.unlink()
    lines = ["<!-- Generated from examples/see_through.ipynb by docs/make_see_through.py: edit the notebook. -->", ""]
    figure = 0
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            lines += [cell.source, ""]
            continue
        lines += ["```python", cell.source, "```", ""]
        for kind, content in outputs_text(cell):
            if kind == "png":
                figure += 1
                name = f"figure_{figure}.png"
                (FIGURES / name).write_bytes(base64.b64decode(content))
                lines += [f"![figure {figure}](see_through/{name})", ""]
            else:
                # The kernel names cells by temporary files: say "cell" instead, so the page does not
                # change from one run to the next.
                text = re.sub(r"\S*ipykernel_\d+/\d+\.py", "<cell>", content.rstrip())
                lines += ["```text", text, "```", ""]
    PAGE.write_text("\n".join(lines).rstrip() + "\n")


if __name__ == "__main__":
    write_page(execute())
    print(f"wrote {PAGE.relative_to(ROOT)} and {len(list(FIGURES.glob('*.png')))} figures", file=sys.stderr)
