"""Sphinx configuration of the course website; ``site/build_site.py`` is what runs it.

``build_site.py`` stages the sources in a temporary folder (the home page from README.md, a
copy of every notebook with its launch and download links, the student copies, MathJax) and
writes ``site_settings.json`` there; this file reads it. Nothing here executes a notebook:
the pages show the outputs stored in ``notebooks/``, and every script, style sheet and font
the pages load is in the built site, so it opens without a network.
"""

import json
from pathlib import Path

settings = json.loads((Path(__file__).parent / "site_settings.json").read_text())

project = settings["title"]
author = ""  # no "By ..." line under every page
html_show_copyright = False
release = settings["version"]
extensions = ["myst_nb", "sphinx.ext.githubpages"]  # githubpages: .nojekyll, for branch Pages
exclude_patterns = ["_extra", "_static", "_build", "site_settings.json", "**.ipynb_checkpoints"]

# Notebooks: stored outputs only, never a kernel.
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # its default loads require.js and the widget manager from CDNs
# Only solution cells are folded (build_site.py tags them hide-input).
nb_code_prompt_show = "Show the solution"
nb_code_prompt_hide = "Hide the solution"
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# Math: the MathJax copied next to the pages (relative to _static), never a CDN.
mathjax_path = settings["mathjax_path"]

html_title = settings["title"]
html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_extra_path = ["_extra"]  # downloads/instructor and downloads/student, as they are
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_context = {"default_mode": "auto"}  # light or dark as the reader's system; "" is an error
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "navigation_with_keys": True,
}
if settings["repository_url"]:
    html_theme_options |= {
        "repository_url": settings["repository_url"],
        "repository_branch": settings["branch"],
        "path_to_docs": "notebooks",
        "use_repository_button": True,
        "launch_buttons": {
            "binderhub_url": "https://mybinder.org",
            "colab_url": "https://colab.research.google.com",
            "notebook_interface": "jupyterlab",
        },
    }
