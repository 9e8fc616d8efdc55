"""Per-record isolation: whatever one record holds, only that record is rejected, and the batch is stored.

Lone surrogates (spelt in JSON as ``\\ud800``, or as the raw bytes ED A0 80),
numbers too large for a float (``1e999``) and bytes that are not UTF-8 in one
CSV row each cost their own record a ledger entry, and nothing else.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from newsfold.ingest import Ingester, ingest_paths, ingest_records

FLOOD = ("Heavy rain flooded the lower town on Sunday, and the river rose two metres overnight.\n"
         "Residents of forty houses were moved to the school hall while pumps ran until morning.")
FIRE = ("A fire destroyed a grain warehouse at the port on Monday night, the fire service said.\n"
        "Nobody was hurt; the cause is not known and an inquiry has begun.")
QUAKE = ("An earthquake of magnitude 6.1 struck the hills north of Teramo before dawn on Tuesday, the national "
         "geophysics institute said; three people were killed when a farmhouse collapsed near Campli.")


def _nf(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsfold", "--db", str(db), *args], capture_output=True, text=True,
                          timeout=120)


def _reasons(store) -> dict[str, str]:
    return {r["ref"].rsplit("/", 1)[-1]: r["reason"] for r in store.ledger() if r["outcome"] == "rejected"}


def test_lone_surrogates_reject_their_record_and_the_batch_is_stored(store, tmp_path):
    lines = [json.dumps({"id": "g1", "text": FLOOD}).encode(),
             b'{"id": "s1", "text": "The mayor said \\ud800 the bridge would stay shut until Friday."}',
             json.dumps({"id": "g2", "text": FIRE}).encode(),
             b'{"id": "s2", "text": "Pumps ran all night \xed\xa0\x80 in the lower town."}',
             json.dumps({"id": "g3", "text": QUAKE}).encode()]
    (tmp_path / "mixed.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    rep = ingest_paths(store, [str(tmp_path / "mixed.jsonl")])
    assert (rep.accepted, rep.rejected) == (3, 2)
    assert {a.id for a in store.list_articles()} == {"g1", "g2", "g3"}
    reasons = _reasons(store)
    assert reasons["mixed.jsonl:2"] == ("not valid Unicode: text holds a lone surrogate (U+D800) at character 16; "
                                        "fix the input's encoding")
    assert reasons["mixed.jsonl:4"].startswith("not valid Unicode: text holds a lone surrogate (U+D800)")
    # the same again: the good ones are duplicates, the bad ones rejected again, no crash
    again = ingest_paths(store, [str(tmp_path / "mixed.jsonl")])
    assert (again.duplicate, again.rejected) == (3, 2)


def test_surrogate_in_a_metadata_field_or_title_rejects_only_its_record(store):
    rep = ingest_records(store, [{"id": "a", "text": FLOOD, "title": "Flood \ud83d"},
                                 {"id": "b", "text": FIRE, "tags": ["port", "\udfff"]},
                                 {"id": "c", "text": QUAKE}])
    assert (rep.accepted, rep.rejected) == (1, 2)
    assert store.get_article("c") is not None
    assert [e.reason.split(" holds")[0] for e in rep.rejections] == ["not valid Unicode: title",
                                                                     "not valid Unicode: a field kept as metadata"]


def test_a_file_name_that_is_not_utf8_still_gets_its_article_and_ledger_entry(store, tmp_path):
    name = tmp_path / Path(b"bulletin-\xff.txt".decode("utf-8", "surrogateescape"))
    try:
        name.write_text(FLOOD)
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system takes only UTF-8 names")
    (tmp_path / "other.txt").write_text(FIRE)
    rep = ingest_paths(store, [str(tmp_path)])
    assert (rep.accepted, rep.rejected) == (2, 0)
    refs = [r["ref"] for r in store.ledger()]
    assert any(r.endswith("bulletin-\\udcff.txt") for r in refs)


def test_a_number_too_large_for_a_float_rejects_its_record(tmp_path):
    (tmp_path / "n.jsonl").write_text(json.dumps({"id": "g1", "text": FLOOD}) + "\n"
                                      + '{"id": "big", "text": "Views counted.", "views": 1e999}\n'
                                      + '{"id": "deep", "text": "Ranks.", "stats": {"rank": [1, -1e400]}}\n'
                                      + json.dumps({"id": "g2", "text": FIRE}) + "\n")
    db = tmp_path / "n.db"
    out = _nf(db, "add", "--no-dedup", str(tmp_path / "n.jsonl"))
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    assert out.stdout.strip() == "2 accepted, 0 duplicates, 2 rejected"
    assert "n.jsonl:2: field 'views' holds a number too large to store (inf)" in out.stderr
    assert "n.jsonl:3: field 'stats.rank' holds a number too large to store (-inf)" in out.stderr
    for aid in ("g1", "g2"):  # what is stored prints as valid JSON
        json.loads(_nf(db, "article", aid, "--json").stdout)


def test_a_csv_row_with_bytes_that_are_not_utf8_rejects_only_that_row(store, tmp_path):
    (tmp_path / "rows.csv").write_bytes(b"id,text\n"
                                        b"c1,Heavy rain flooded the lower town on Sunday.\n"
                                        b"c2,The caf\xe9 on the square was flooded too.\n"
                                        b"c3,The river rose two metres overnight in the town.\n")
    rep = ingest_paths(store, [str(tmp_path / "rows.csv")])
    assert (rep.accepted, rep.rejected) == (2, 1)
    assert {a.id for a in store.list_articles()} == {"c1", "c3"}
    assert _reasons(store)["rows.csv:3"] == ("not valid Unicode: text holds a byte that is not UTF-8 at character "
                                             "8; fix the input's encoding")


@pytest.mark.slow
def test_the_web_api_stores_the_good_records_next_to_a_bad_one(tmp_path):
    from fastapi.testclient import TestClient

    from newsfold.present.web import create_app
    from newsfold.store.db import Store

    db = tmp_path / "w.db"
    body = ('[{"id": "g1", "text": ' + json.dumps(FLOOD) + '}, {"id": "s1", "text": "bad \\ud800 text"}, '
            '{"id": "g2", "text": ' + json.dumps(FIRE) + '}]')
    with TestClient(create_app(str(db), token="t", upload_dir=tmp_path / "up"), base_url="http://localhost") as client:
        r = client.post("/api/articles?wait=300", content=body, headers={"Authorization": "Bearer t"})
        assert r.status_code == 200 and r.json()["status"] == "done", r.text
        assert r.json()["ledger"]["counts"] == {"accepted": 2, "rejected": 1}
    with Store(db) as store:
        assert {a.id for a in store.list_articles()} == {"g1", "g2"}


def test_max_bytes_must_be_positive(store, tmp_path):
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "g1", "text": FLOOD}) + "\n")
    with pytest.raises(ValueError, match="max_bytes"):
        Ingester(store, max_bytes=-1)
    out = _nf(tmp_path / "m.db", "add", "--max-bytes", "-1", str(tmp_path / "a.jsonl"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "--max-bytes" in out.stderr and "-1" in out.stderr
    assert not (tmp_path / "m.db").exists() or "accepted" not in out.stdout


def test_dot_ids_are_not_ids_and_every_article_page_can_be_linked(tmp_path):
    from fastapi.testclient import TestClient

    from newsfold.present.web import create_app
    from newsfold.store.db import Store

    db = tmp_path / "d.db"
    with Store(db) as store:
        rep = ingest_records(store, [{"id": "..", "text": FLOOD}, {"id": ".", "url": "https://x.example/fire",
                                                                    "text": FIRE}])
        ids = [a.id for a in store.list_articles()]
    assert rep.accepted == 2 and not {".", ".."} & set(ids)
    with TestClient(create_app(str(db), token="t", upload_dir=tmp_path / "u"), base_url="http://localhost") as c:
        for aid in ids:
            assert c.get(f"/articles/{aid}").status_code == 200


def test_a_text_of_punctuation_only_says_so(store):
    rep = ingest_records(store, [{"id": "p", "text": "... !!! ---\n* * *\n???"}, {"id": "g", "text": FLOOD}])
    assert rep.accepted == 1
    assert [e.reason for e in rep.rejections] == ["no words: the text holds only punctuation, symbols or spaces"]
