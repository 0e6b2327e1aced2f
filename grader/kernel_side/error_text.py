"""An error from the student's code as the grader shows it: its type and message, then the line of
the student's own code it came from.

"RuntimeError: mat1 and mat2 shapes cannot be multiplied" says what went wrong, not where; the
traceback does, but only the kernel has it. So the agent adds the last line of the student's code
the error passed through: the innermost traceback frame whose globals are the notebook's own
namespace (functions and methods defined in the notebook's cells). Frames of torch, of the course
library and of the book's stand-ins have other globals and are skipped. An error raised while no
code of the student's was running gets no line: calling a class with an argument its ``__init__``
does not take is refused before ``__init__`` starts, so the grader can tell that TypeError (about
the class's interface) from one raised inside the student's code (``in_student_code``).
"""

import linecache
import re

NOTE = "raised by your code: "
WHERE = f"\n({NOTE}"   # the start of the line's note; in_student_code looks for it
# IPython compiles each cell as a file in a temporary folder of its own (/tmp/ipykernel_1/3023669395.py),
# and a SyntaxError's message names that file: "invalid syntax (3023669395.py, line 9)". No student
# has seen that name; the line of the cell is what they can find.
_CELL_FILE = re.compile(r" \((?:[^()]*[\\/])?(?:\d+\.py|<ipython-input-[^>]*>), line (\d+)\)")


def without_cell_file(text, known_line=False):
    """``text`` with IPython's name for a cell's file replaced by the line of the cell, or dropped
    where the caller shows the line itself (``known_line``)."""
    return _CELL_FILE.sub("" if known_line else r" (line \1 of its cell)", text)


def student_line(traceback, namespace):
    """(function name, line number in its cell, the line's code) of the innermost frame of
    ``traceback`` that runs code defined in ``namespace``; None when no frame does."""
    found = None
    while traceback is not None:
        frame = traceback.tb_frame
        if namespace is not None and frame.f_globals is namespace:
            found = (frame.f_code.co_name, traceback.tb_lineno, frame.f_code.co_filename)
        traceback = traceback.tb_next
    if found is None:
        return None
    name, line, filename = found
    return name, line, linecache.getline(filename, line).strip()


def error_text(error, namespace, limit):
    """``Type: message`` of ``error``, cut to fit ``limit`` with the note of the student's line kept."""
    text = without_cell_file(f"{type(error).__name__}: {error}")
    line = student_line(error.__traceback__, namespace)
    if line is None:
        return text[:limit]
    name, number, code = line
    where = "a cell's top level" if name == "<module>" else f"`{name}`"
    note = f"{WHERE}in {where}, line {number} of its cell" + (f": `{code[:200]}`)" if code else ")")
    return text[:max(limit - len(note), limit // 2)] + note


def in_student_code(message):
    """Whether an error message (as ``error_text`` wrote it) was raised while the student's code ran."""
    return WHERE in message
