"""docs/integrations/django.md, followed alone on a fresh `django-admin startproject`: its
commands run, its settings and URLs are added where it says, its template renders a posted
comment's backlink. Nothing of the page is repeated here but the test's own opt-in to the
sample blog on 127.0.0.1 (loopback is refused by default)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.snippets import blocks, check_pip_install, commands, split_chain
from tests.support import ROOT

pytest.importorskip("django")
pytest.importorskip("django_comments")

PAGE = ROOT / "docs/integrations/django.md"
BIN = Path(sys.executable).parent

# Run in the fresh project (its manage.py): render the page's template after posting a
# comment through django-contrib-comments' own view, as a browser would.
CHECK = """
import django_comments
from django.contrib.sites.models import Site
from django.template import Context, Template
from django.test import Client

target = Site.objects.get_current()
form = django_comments.get_form()(target)
data = dict(form.initial, name="Jaden Daniels", email="jaden@example.com", url=SAMPLE,
            comment="So true!")
answer = Client(HTTP_HOST="localhost").post("/comments/post/", data)
assert answer.status_code == 302, (answer.status_code, answer.content[:2000])
print(Template(TEMPLATE).render(Context({"object": target})))
"""


def run(argv: list[str], cwd: Path) -> str:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"$ {' '.join(argv)}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_the_page_alone_takes_a_fresh_project_to_a_backlink(tmp_path, sample_url):
    cwd = tmp_path
    html = []
    for block in blocks(PAGE):
        if block.language == "console":
            for command in commands(block):
                for argv in split_chain(command.line):
                    if argv[0] == "pip":
                        check_pip_install(argv, block.where)
                    elif argv[0] == "cd":
                        cwd = cwd / argv[1]
                    elif argv[0] == "python":
                        where = ROOT if argv[1].startswith("examples/") else cwd
                        run([sys.executable, *argv[1:]], where)
                    else:
                        run([str(BIN / argv[0]), *argv[1:]], cwd)
        elif block.title is not None:
            with (cwd / block.title).open("a", encoding="utf-8") as file:
                file.write("\n" + block.body)
        elif block.language == "html":
            html.append(block.body)
    template, shown = html
    with (cwd / "mysite" / "settings.py").open("a", encoding="utf-8") as file:
        file.write(
            "\nCOMMENTLUV = {**globals().get('COMMENTLUV', {}),"
            " 'CLIENT_OPTIONS': {'allow_private_hosts': True}}\n"
        )
    code = f"SAMPLE = {sample_url!r}\nTEMPLATE = {template!r}\n{CHECK}"
    page = run([sys.executable, "manage.py", "shell", "-c", code], cwd)
    # The backlink as the page shows it, for the sample blog where the page says
    # jadendaniels.example.
    expected = shown.strip().replace("https://jadendaniels.example/", sample_url)
    assert expected in page, page
    assert 'name="commentluv_token"' in page  # the form brought the widget's fields
