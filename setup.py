"""Package discovery for the customer's layout (the rest of the metadata is in pyproject.toml).

The repository keeps graph/, loaders/, ... at its top; they install as subpackages of the
one import package ``ringwatch`` so that nothing named ``api`` or ``graph`` lands at the top
of a user's site-packages. Subpackages are found, not listed: a new folder with an
``__init__.py`` ships without anyone remembering to add it (the wheel test checks it did).
"""

from setuptools import Extension, find_packages, setup

#: Import package -> the repository folder it installs from.
ROOTS = {
    "ringwatch": "core",
    "ringwatch.api": "api",
    "ringwatch.cypher": "cypher",
    "ringwatch.detectors": "detectors",
    "ringwatch.generator": "generator",
    "ringwatch.graph": "graph",
    "ringwatch.loaders": "loaders",
    "ringwatch.spark": "spark",
}


def _packages() -> list[str]:
    found = []
    for name, folder in ROOTS.items():
        found.append(name)
        found += [f"{name}.{sub}" for sub in find_packages(folder)]
    return found


#: The compiled kernels (core/_native.c, called through ctypes by core/native.py): the
#: loader's key and reference checks, and text ids numbered for the projections and the
#: detectors. Optional: where no C compiler is at hand the install goes on without them, and
#: every caller keeps its numpy and Arrow path (the same answers, slower).
NATIVE = Extension("ringwatch._native", sources=["core/_native.c"],
                   extra_compile_args=["-O3"], optional=True)


setup(
    packages=_packages(),
    ext_modules=[NATIVE],
    package_dir=ROOTS,
    package_data={
        "ringwatch.cypher": ["*.cypher"],
        "ringwatch.api": ["static/**/*"],
    },
    exclude_package_data={"": ["*.pyc"]},
)
