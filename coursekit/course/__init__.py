"""coursekit.course: the instructor's build tools, not lecture content.

Nothing here is taught or called from a notebook. These modules turn the instructor's
notebooks into what a course hands out:

    notebooks   what the tools share: the list of course notebooks (``NN_name.ipynb``),
                reading one through nbformat with a one-line error, its exercises
                (a ``solution`` cell and the check cell after it), writing files all or none
    stubs       a solution cell's code -> the stub a student completes
    student     the student copies (``make student``, ``python -m coursekit.course.student``)
    slides      offline reveal.js decks (``make slides``, ``python -m coursekit.course.slides``)
    deck_libraries  reveal.js and MathJax for the decks, fetched with npm once
    links       the Colab and Binder badges, the notebooks' install cells and the README's
                launch table, from pyproject's [project.urls] (python -m coursekit.course.links)

Each command reads every notebook before it writes anything: a broken notebook stops it with
a one-line error naming the file, exit status 2, and the output folder stays as it was.
"""
