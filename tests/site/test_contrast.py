"""WCAG AA contrast for every text colour the stylesheet declares.

Each rule that sets ``color`` is measured against the background the same rule
sets; a rule without its own background is measured against both page
backgrounds (``--bg`` and ``--surface``), since it may appear on either.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .sitebuild import ROOT

STYLESHEET = ROOT / "theme" / "static" / "css" / "style.css"
AA_NORMAL_TEXT = 4.5
PAGE_BACKGROUNDS = ("var(--bg)", "var(--surface)")


def strip_comments(css: str) -> str:
    return re.sub(r"/\*.*?\*/", "", css, flags=re.S)


def rules(css: str) -> list[tuple[str, dict[str, str]]]:
    """Flatten ``selector { declarations }`` pairs, looking inside @media blocks."""
    found = []
    position = 0
    css = strip_comments(css)
    pattern = re.compile(r"([^{}]+)\{([^{}]*)\}")
    while True:
        match = pattern.search(css, position)
        if not match:
            return found
        selector = match.group(1).strip()
        # "@media (...) { sel {" leaves the at-rule prefix in the selector text.
        selector = re.sub(r"^@[^{]*\{", "", selector).strip()
        declarations = {}
        for declaration in match.group(2).split(";"):
            name, colon, value = declaration.partition(":")
            if colon:
                declarations[name.strip().lower()] = value.replace("!important", "").strip()
        found.append((selector, declarations))
        position = match.end()


def custom_properties(css: str) -> dict[str, str]:
    root = next(decls for selector, decls in rules(css) if selector == ":root")
    return {name: value for name, value in root.items() if name.startswith("--")}


def resolve(value: str, variables: dict[str, str]) -> str | None:
    """A #rrggbb colour, or None for values that are not a plain colour (transparent)."""
    for _ in range(5):
        reference = re.fullmatch(r"var\((--[\w-]+)\)", value.strip())
        if not reference:
            break
        value = variables[reference.group(1)]
    value = value.strip().lower()
    if re.fullmatch(r"#[0-9a-f]{3}", value):
        value = "#" + "".join(ch * 2 for ch in value[1:])
    if re.fullmatch(r"#[0-9a-f]{6}", value):
        return value
    if value in ("transparent", "inherit", "currentcolor", "none"):
        return None
    raise AssertionError(f"unsupported colour value {value!r}: add it to the contrast test")


def relative_luminance(hex_colour: str) -> float:
    channels = []
    for start in (1, 3, 5):
        channel = int(hex_colour[start : start + 2], 16) / 255
        channels.append(
            channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4
        )
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(foreground: str, background: str) -> float:
    lighter, darker = sorted(
        (relative_luminance(foreground), relative_luminance(background)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


def colour_pairs(css: str) -> list[tuple[str, str, str]]:
    variables = custom_properties(css)
    pairs = []
    for selector, declarations in rules(css):
        if "color" not in declarations:
            continue
        foreground = resolve(declarations["color"], variables)
        if foreground is None:
            continue
        background = declarations.get("background-color") or declarations.get("background")
        backgrounds = [background] if background else list(PAGE_BACKGROUNDS)
        for candidate in backgrounds:
            resolved = resolve(candidate, variables)
            for page_background in [resolved] if resolved else PAGE_BACKGROUNDS:
                pairs.append((selector, foreground, resolve(page_background, variables)))
    return pairs


def test_ratio_formula_matches_known_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    # WebAIM's checker gives 4.54:1 for #767676 on white, the lightest AA grey.
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#777777", "#ffffff") < AA_NORMAL_TEXT


def test_the_check_catches_a_low_contrast_rule():
    css = ":root { --bg: #ffffff; --surface: #eeeeee; } .faint { color: #aaaaaa; }"
    failing = [p for p in colour_pairs(css) if contrast_ratio(p[1], p[2]) < AA_NORMAL_TEXT]
    assert {p[0] for p in failing} == {".faint"}


def test_every_declared_text_colour_meets_wcag_aa():
    css = STYLESHEET.read_text(encoding="utf-8")
    pairs = colour_pairs(css)
    assert len(pairs) > 20, "the parser found suspiciously few colour rules"
    failures = [
        f"{selector}: {fg} on {bg} = {contrast_ratio(fg, bg):.2f}:1"
        for selector, fg, bg in pairs
        if contrast_ratio(fg, bg) < AA_NORMAL_TEXT
    ]
    assert not failures, "below 4.5:1:\n" + "\n".join(failures)


def test_focus_outline_is_visible_against_page_backgrounds():
    css = STYLESHEET.read_text(encoding="utf-8")
    variables = custom_properties(css)
    focus = resolve("var(--focus)", variables)
    # WCAG 1.4.11: non-text contrast of at least 3:1.
    for background in PAGE_BACKGROUNDS:
        assert contrast_ratio(focus, resolve(background, variables)) >= 3
    focus_rules = [decls for selector, decls in rules(css) if ":focus-visible" in selector]
    assert any("outline" in decls and "var(--focus)" in decls["outline"] for decls in focus_rules)


def test_single_stylesheet_without_remote_imports():
    css_files = list((Path(STYLESHEET).parents[1]).rglob("*.css"))
    assert css_files == [STYLESHEET]
    css = STYLESHEET.read_text(encoding="utf-8")
    assert "@import" not in css
    assert "@font-face" not in css
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", css)
