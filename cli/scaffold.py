"""``wgan plugin new NAME [DIR]``: write a working plugin package from the templates in
``templates/plugin`` (package data), as ``flwr new`` does for Flower apps."""

from __future__ import annotations

import keyword
from pathlib import Path

from wgan_core.errors import ConfigError

TEMPLATES = Path(__file__).parent / "templates" / "plugin"

#: Template -> path in the new package (``{{name}}`` is replaced in both).
LAYOUT = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "__init__.py.tmpl": "wgan_{{name}}/__init__.py",
    "config.py.tmpl": "wgan_{{name}}/config.py",
    "data.py.tmpl": "wgan_{{name}}/data.py",
    "models.py.tmpl": "wgan_{{name}}/models.py",
    "metrics.py.tmpl": "wgan_{{name}}/metrics.py",
    "plugin.py.tmpl": "wgan_{{name}}/plugin.py",
    "test_plugin.py.tmpl": "tests/test_{{name}}.py",
}


def check_new_plugin(name: str, directory: Path) -> None:
    """ConfigError (one line) when ``name`` cannot be a new plugin or ``directory`` holds
    something already."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ConfigError(f"plugin name '{name}' must be a Python identifier (letters, digits "
                          f"and _, not starting with a digit): it names the package wgan_{name}")
    from wgan import registry

    if name in registry.names():
        raise ConfigError(f"a plugin named '{name}' is already registered; choose another name")
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ConfigError(f"{directory} exists and is not empty; give a new or empty folder")


def render(template: str, name: str) -> str:
    """A template's text with ``{{name}}`` replaced."""
    return template.replace("{{name}}", name)


def new_plugin(name: str, directory: Path | None = None) -> Path:
    """Write the package of plugin ``name`` into ``directory`` (default ``./wgan-NAME``) and
    return it. Every check runs before anything is written; the files are rendered in memory
    first, so a missing template writes nothing either."""
    directory = Path(directory) if directory is not None else Path(f"wgan-{name}")
    check_new_plugin(name, directory)
    files = {render(path, name): render((TEMPLATES / template).read_text(), name)
             for template, path in LAYOUT.items()}
    for rel, text in files.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return directory
