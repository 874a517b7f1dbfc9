"""Flagpost as a town's IT person installs it: a wheel in a new virtualenv, run from an empty directory with
the organisation file in a third; and the files that ship with it (Dockerfile, compose, manifest, README)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest

from bot.slack.testkit.standin import SlackStandIn
from tests.commands import ORG_FILE, ROOT, clean_env, flagpost, free_port, running, stop

SHIPPED = ("pyproject.toml", "README.md", "bot", "handlers")  # what the Dockerfile copies to build


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A wheel built from a copy of this checkout, installed into a new virtualenv, once per session. Its
    dependencies are the test environment's (a .pth line), so nothing is downloaded but the build backend."""
    base = tmp_path_factory.mktemp("fresh")
    source = base / "source"
    source.mkdir()
    for name in SHIPPED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "--quiet", "-w", str(base / "wheel"), str(source)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    [wheel] = (base / "wheel").glob("flagpost-*.whl")
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", "--quiet", str(wheel)], check=True,
                   timeout=300)  # fmt: skip
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    (Path(site) / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv, built.stderr


def fresh_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = clean_env(tmp_path, **extra)
    del env["PYTHONPATH"]  # nothing from this checkout: only what was installed
    return env


@pytest.mark.slow
def test_the_build_gives_no_licence_warning(installed: tuple[Path, str]) -> None:
    assert "license" not in installed[1].lower(), installed[1]


@pytest.mark.slow
def test_a_fresh_install_works_from_an_empty_directory_with_the_organisation_file_elsewhere(
    installed: tuple[Path, str], tmp_path: Path
) -> None:
    venv = installed[0]
    command = (str(venv / "bin" / "flagpost"),)
    empty, etc, data = tmp_path / "empty", tmp_path / "etc" / "flagpost", tmp_path / "var"
    for folder in (empty, etc, data):
        folder.mkdir(parents=True)
    shutil.copy(ORG_FILE, etc / "organization.toml")
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import bot; print(bot.__file__)"],
        env=fresh_env(tmp_path), cwd=empty, capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert where.startswith(str(venv)), where

    env = fresh_env(tmp_path, FLAGPOST_ORG=str(etc / "organization.toml"))
    env.pop("DATABASE_URL")  # the default: flagpost.db in the current directory
    ask = flagpost("policy", "ask", "how often do we change the social media password", "--json", env=env,
                   cwd=empty, command=command)  # fmt: skip
    assert ask.returncode == 0, ask.stderr
    assert json.loads(ask.stdout)["results"][0]["clause"] == "1.03(f)"
    assert sorted(p.name for p in empty.iterdir()) == ["flagpost.db"]  # prepared as `run` does, nothing else

    port = free_port()
    with SlackStandIn() as slack:
        env = fresh_env(
            tmp_path, FLAGPOST_ORG=str(etc / "organization.toml"), DATABASE_URL=f"sqlite:///{data}/flagpost.db",
            SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="s", SLACK_API_URL=slack.api_url, PORT=str(port),
        )  # fmt: skip
        todo = flagpost("check", env=env, cwd=empty, command=command)
        assert todo.returncode == 1 and "run 'flagpost db upgrade'" in todo.stdout, todo.stdout + todo.stderr
        assert flagpost("db", "upgrade", env=env, cwd=empty, command=command).returncode == 0
        check = flagpost("check", env=env, cwd=empty, command=command)
        assert check.returncode == 0 and check.stdout.endswith("All good.\n"), check.stdout + check.stderr
        assert f"clause files, shipped, in {venv}" in check.stdout  # package data, where it was installed
        with running("run", env=env, cwd=empty, ready="HTTP on port", command=command) as bot:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
                assert response.status == 200 and json.loads(response.read())["database"] == "ok"
            log = stop(bot)
        assert bot.returncode == 0, log
    assert sorted(p.name for p in data.iterdir()) == ["flagpost.db"]  # closed cleanly: no -wal, no -shm
    version = flagpost("--version", env=env, cwd=empty, command=command).stdout
    assert re.fullmatch(r"flagpost \d+\.\d+\.\d+\n", version)


# ----- the files that ship with it


def test_the_dockerfile_copies_only_what_exists_runs_as_a_number_and_keeps_its_data_in_a_volume() -> None:
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    for line in re.findall(r"^COPY (.+)$", dockerfile, re.MULTILINE):
        for source in line.split()[:-1]:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
    assert re.search(r"^USER \d+(:\d+)?$", dockerfile, re.MULTILINE)
    assert 'VOLUME ["/app/data"]' in dockerfile and "DATABASE_URL=sqlite:////app/data/" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".env", "*.db"} <= set(ignored)
    assert not {"bot", "handlers", "pyproject.toml", "README.md"} & set(ignored)


def test_compose_requires_the_password_and_publishes_the_port_only_for_http_mode_on_loopback() -> None:
    compose = (ROOT / "docker" / "compose.yml").read_text()
    assert "change-me" not in compose and compose.count("${POSTGRES_PASSWORD:?") == 2
    assert "ports:" not in compose  # Socket Mode: nothing to publish
    assert "PORT: ${PORT:-3000}" in compose
    http = (ROOT / "docker" / "compose.http.yml").read_text()
    assert '- "${FLAGPOST_BIND:-127.0.0.1}:${PORT:-3000}:${PORT:-3000}"' in http


def test_git_ignores_sqlites_journal_files() -> None:
    assert {"*.db-wal", "*.db-shm"} <= set((ROOT / ".gitignore").read_text().split())


def web_api_methods_used() -> set[str]:
    """The Web API methods the running bot calls: door methods used anywhere, followed through the door."""
    door = (ROOT / "bot" / "slack" / "door.py").read_text()
    methods_of_door = re.finditer(r"\n    def (\w+)\(.*?(?=\n    def |\Z)", door, re.DOTALL)
    bodies = {match.group(1): match.group(0) for match in methods_of_door}
    code = "\n".join(
        path.read_text() for folder in ("bot", "handlers") for path in (ROOT / folder).rglob("*.py")
        if "testkit" not in path.parts and path.name != "door.py"
    )  # fmt: skip
    pending = {name for name in bodies if re.search(rf"\bdoor\.{name}\(", code)}
    methods: set[str] = set()
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        seen.add(name)
        methods.update(re.findall(r'self\._call\(\s*"([\w.]+)"', bodies[name]))
        pending.update(set(re.findall(r"self\.(\w+)\(", bodies[name])) & set(bodies) - seen - {"_call"})
    return methods


SCOPE_OF_METHOD = {
    "chat.postMessage": "chat:write", "chat.update": "chat:write", "chat.postEphemeral": "chat:write",
    "conversations.open": "im:write", "users.info": "users:read",
    "auth.test": None, "views.open": None, "views.update": None, "views.publish": None,
    "chat.getPermalink": None,  # needs no scope (docs.slack.dev/reference/methods/chat.getPermalink)
    # a card in doubt is looked for where it lives: a public or private channel, or a page's DM
    "conversations.history": ("channels:history", "groups:history", "im:history"),
}  # fmt: skip
SCOPE_OF_EVENT = {"app_mention": "app_mentions:read", "message.im": "im:history", "app_home_opened": None}


def manifest_list(key: str) -> list[str]:
    manifest = (ROOT / "slack-manifest.yml").read_text()
    block = re.search(rf"\n(\s+){key}:\n((?:\1\s+(?:- .*|#.*)\n)+)", manifest)
    assert block, key
    return re.findall(r"- ([\w:.]+)", block.group(2))


def test_the_manifest_asks_only_for_the_scopes_the_code_uses() -> None:
    methods = web_api_methods_used()
    assert {"chat.postMessage", "conversations.open", "views.open", "auth.test"} <= methods
    events = manifest_list("bot_events")
    scopes = [SCOPE_OF_METHOD[method] for method in methods] + [SCOPE_OF_EVENT[event] for event in events]
    needed = {one for scope in scopes for one in (scope if isinstance(scope, tuple) else (scope,))}
    needed = (needed - {None}) | {"commands"}  # slash commands and the message shortcut
    assert set(manifest_list("bot")) == needed
    listened = set(
        re.findall(r'\.event\("(\w+)"\)', "".join(p.read_text() for p in (ROOT / "handlers").glob("*.py")))
    )
    assert {event.split(".")[0] for event in events} <= listened


def test_the_readme_links_only_to_files_in_the_repository() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "../" not in readme
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        if not target.startswith(("http://", "https://")):
            assert (ROOT / target).exists(), target
