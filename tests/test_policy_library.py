"""The importer, the shipped clause files, `flagpost policy ask --json`, and answer quality."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.policy import SHIPPED_CLAUSES
from bot.policy.importer import import_file, import_text
from tests.conftest import ROOT

SOURCES = ROOT / "policy_data" / "sources"
SHIPPED = SHIPPED_CLAUSES
CORRECTIONS = ROOT / "policy_data" / "corrections"
SHARED = ROOT.parent / "shared" / "policies"


@pytest.mark.parametrize("source", sorted(SOURCES.glob("*.txt")), ids=lambda p: p.stem)
def test_the_shipped_clause_files_are_what_the_importer_produces(source: Path) -> None:
    document = import_file(source, CORRECTIONS)
    assert document.unplaced == []
    assert (SHIPPED / f"{source.stem}.json").read_text(encoding="utf-8") == document.to_json()


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/policies is not beside this checkout")
@pytest.mark.parametrize("source", sorted(SOURCES.glob("*.txt")), ids=lambda p: p.stem)
def test_the_sources_are_the_shared_policies_unchanged(source: Path) -> None:
    assert source.read_bytes() == (SHARED / source.name).read_bytes()


def test_the_importer_reads_the_common_numbering_schemes() -> None:
    text = """# Social Media Rules

## Scope
This applies to all staff.

1. Definitions
- 1.1. *Post* – anything published.
  - 1.1.1. Including comments.

2.04 Photos
- a. Photos need approval.
- b. Staff may not share:
 - i) faces of children;
 - ii) the inside of the water plant;
 - (iv) a roman numeral in parentheses.
- c) Letters with a parenthesis.

## Guidelines
1. Be kind.
2. Be brief.

- **Use a disclaimer.** Say your views are your own.
- a plain bullet joins the clause before it
"""
    document = import_text(text, "sample")
    numbers = [clause.number for clause in document.clauses]
    assert numbers == [
        "Scope",
        "1.1",
        "1.1.1",
        "2.04(a)",
        "2.04(b)",
        "2.04(b)(i)",
        "2.04(b)(ii)",
        "2.04(b)(iv)",
        "2.04(c)",
        "Guideline 1",
        "Guideline 2",
        "Guidelines › Use a disclaimer",
    ]
    assert document.clauses[1].text == "Post – anything published."
    assert document.clauses[-1].text.endswith("• a plain bullet joins the clause before it")
    assert document.title == "Social Media Rules"


def test_what_the_importer_cannot_place_is_reported() -> None:
    document = import_text("Heading\n\n3.2.\n\nSome text.\n", "odd")
    assert "3.2" in document.unplaced


def flagpost(*args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "FLAGPOST_"))}
    env.update(PYTHONPATH=str(ROOT), **extra)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_policy_ask_json_works_in_an_empty_directory(tmp_path: Path) -> None:
    result = flagpost(
        "policy", "ask", "how often do we change the social media password", "--json", "-k", "5", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"results", "confident"} and payload["confident"] is True
    assert len(payload["results"]) == 5
    assert set(payload["results"][0]) == {"document", "clause", "text", "score"}
    assert payload["results"][0]["document"] == "taber-adm-7-procedure"
    assert payload["results"][0]["clause"] == "1.03(f)"
    scores = [r["score"] for r in payload["results"]]
    assert scores == sorted(scores, reverse=True)
    assert (tmp_path / "flagpost.db").exists()
    refused = json.loads(
        flagpost("policy", "ask", "where do I park at town hall", "--json", cwd=tmp_path).stdout
    )
    assert refused["confident"] is False


def test_policy_import_writes_into_the_organisations_own_folder_and_reindexes(tmp_path: Path) -> None:
    (tmp_path / "rules.md").write_text(
        "# Town Rules\n\n## Passwords\n1. Change the password every 90 days.\n"
    )
    nowhere = flagpost("policy", "import", "rules.md", cwd=tmp_path)
    assert nowhere.returncode == 2 and "FLAGPOST_POLICIES" in nowhere.stderr
    assert nowhere.stderr.count("\n") == 1 and not (tmp_path / "flagpost.db").exists()
    own = {"FLAGPOST_POLICIES": str(tmp_path / "ours")}
    result = flagpost("policy", "import", "rules.md", cwd=tmp_path, **own)
    assert result.returncode == 0, result.stderr
    assert "1 clauses" in result.stdout
    assert (tmp_path / "ours" / "rules.json").exists()
    found = json.loads(
        flagpost("policy", "ask", "password every 90 days", "--json", cwd=tmp_path, **own).stdout
    )
    assert "rules" in [result["document"] for result in found["results"][:3]]
    # the town names its rules its own, as the README says: they come first, before the shipped documents
    # whose curated exemplars would otherwise lift their password clauses above it
    org = (ROOT / "policy_data" / "organization.toml").read_text(encoding="utf-8")
    (tmp_path / "org.toml").write_text(re.sub(r"own_documents = \[[^]]*\]", 'own_documents = ["rules"]', org))
    own["FLAGPOST_ORG"] = str(tmp_path / "org.toml")
    answer = json.loads(
        flagpost("policy", "ask", "password every 90 days", "--json", cwd=tmp_path, **own).stdout
    )
    assert answer["results"][0]["document"] == "rules"
    missing = flagpost("policy", "import", "nope.txt", cwd=tmp_path, **own)
    assert missing.returncode == 1 and "no such file" in missing.stderr
