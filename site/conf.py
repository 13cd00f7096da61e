"""Sphinx configuration of the web book (`make site`, built by site/build.py).

Plain Sphinx with MyST-NB (notebooks as pages, from their stored outputs) and the Sphinx Book Theme.
The pages work offline: no notebook is executed, no inventory is fetched, and nothing is loaded
from a CDN (no MathJax, no require.js, no widget manager).
"""

import tomllib
from pathlib import Path

# Where the repository lives: the Binder launch link of every notebook page and the repository
# button are built from pyproject.toml's [project.urls] Repository, the one place the address lives
# (a placeholder until the collection is published).
_PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
REPOSITORY_URL = _PYPROJECT["project"]["urls"]["Repository"]
BRANCH = "main"

project = "LeNet on Fashion-MNIST"
author = "The LeNet on Fashion-MNIST authors"
html_title = "LeNet on Fashion-MNIST, Jupyter-first"
root_doc = "index"  # README.md, staged as index.md

extensions = [
    "myst_nb",  # .md and .ipynb pages
    "matplotlib.sphinxext.mathmpl",  # display formulas drawn as PNG by matplotlib: no MathJax
]

# Notebooks are shown exactly as committed: never executed here.
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # no require.js or widget manager from a CDN (build.py draws widgets statically)
nb_merge_streams = True
mathmpl_fontsize = 15.0  # about the size of the text
mathmpl_srcset = ["2x"]  # sharp on high-density screens (an empty list also puts "[]" into the <img> tag)
myst_heading_anchors = 3  # links like [text](05_training.ipynb#some-section) resolve

exclude_patterns = []
suppress_warnings = ["myst.header"]  # notebooks may start a cell at ### after a ## in another cell

html_theme = "sphinx_book_theme"
html_theme_options = {
    "repository_url": REPOSITORY_URL,
    "repository_branch": BRANCH,
    "path_to_docs": "",  # staged pages keep their paths in the repository (notebooks/05_training.ipynb)
    "use_repository_button": True,
    "use_download_button": True,
    "launch_buttons": {"binderhub_url": "https://mybinder.org", "notebook_interface": "jupyterlab"},
    "show_toc_level": 2,
}
html_last_updated_fmt = None
html_show_sourcelink = False
html_static_path = []


def _formulas_with_alt(app):
    """Display formulas drawn by mathmpl get their LaTeX source as text alternative (mathmpl writes
    <img> without alt, which screen readers announce as an unnamed image)."""
    import html

    import matplotlib.sphinxext.mathmpl as mathmpl

    if getattr(mathmpl.latex2html, "with_alt", False):
        return
    plain = mathmpl.latex2html

    def latex2html(node, source):
        tag = plain(node, source)
        alt = html.escape("Formula: " + " ".join(node["latex"].split()), quote=True)
        return tag.replace("<img ", f'<img alt="{alt}" ', 1)

    latex2html.with_alt = True
    mathmpl.latex2html = latex2html  # looked up at each call by mathmpl's HTML visitor


def setup(app):
    app.connect("builder-inited", _formulas_with_alt)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
