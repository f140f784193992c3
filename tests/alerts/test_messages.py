"""Chinese messages fit each channel's byte limit and escape untrusted text."""

from __future__ import annotations

from alerts import messages


def facts(i: int, title: str = "某地发生群众聚集事件") -> dict[str, object]:
    return {"headline_zh": "新发舆情事件", "title": f"{title}{i}" * 5, "level": "III", "level_zh": "较大（III级）",
            "place_zh": "云南省昆明市五华区", "office_zh": "五华区人民政府办公室", "state_zh": "已交办",
            "summary": "网民反映" * 80, "reasons": ["较大事件", "命中收集重点：公众切身利益"],
            "clock": {"name_zh": "回应社会关切（48小时内）", "due_zh": "11-25 10:00",
                      "remaining_zh": "剩余48小时0分钟"},
            "url": f"http://127.0.0.1:8600/incidents/{i}"}


def test_wecom_markdown_of_a_large_burst_stays_within_4096_bytes_and_says_what_was_left_out() -> None:
    text = messages.markdown([facts(i) for i in range(40)], dialect="wecom", limit=4096)
    assert len(text.encode("utf-8")) <= 4096
    assert "40条预警汇总" in text and "另有" in text and "请登录系统查看" in text


def test_text_limit_is_counted_in_utf8_bytes_not_characters() -> None:
    text = messages.text([facts(1, "很长的标题" * 200)], limit=2048)
    assert len(text.encode("utf-8")) <= 2048 and len(text) < 2048
    assert messages.truncate_bytes("舆情监测", 9) == "舆情…"  # 3 bytes per character and the ellipsis
    assert messages.truncate_bytes("舆情监测", 8) == "舆…"  # never splits a character


def test_markdown_escaping_neutralises_tags_links_and_mentions() -> None:
    out = messages.escape_md("<script>x</script> [a](http://e) **b** @all")
    assert "<" not in out and "](" not in out and "**" not in out and "@" not in out


def test_sms_is_short_and_names_the_office() -> None:
    text = messages.sms([facts(1)])
    assert len(text) <= 140 and "五华区人民政府办公室" in text and text.startswith("【舆情预警】")
