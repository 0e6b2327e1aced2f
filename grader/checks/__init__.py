"""Step 5's tables: every graded check, section by section, in report order.

``hidden`` holds the checks whose inputs students do not see; the student-facing release
leaves that module out, so it is optional here.
"""

import importlib

from . import interfaces, sec7_1, sec7_2, sec7_3, sec7_4, sec7_5, sec_models, training  # training: GPU, opt-in

ALL_CHECKS = [*sec7_1.CHECKS, *sec7_2.CHECKS, *sec7_3.CHECKS, *sec7_4.CHECKS, *sec7_5.CHECKS, *sec_models.CHECKS,
              *interfaces.CHECKS, *training.CHECKS]

try:
    ALL_CHECKS += importlib.import_module(f"{__name__}.hidden").CHECKS
except ModuleNotFoundError as missing:
    if missing.name != f"{__name__}.hidden":
        raise
