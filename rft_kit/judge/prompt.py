"""Judge prompts: hosted grader ``input`` messages compiled once, rendered per pair into chat messages.

Content blocks map to chat completions parts: ``input_text`` / ``output_text`` to ``text``, ``input_image`` to
``image_url`` (``detail`` kept), ``input_audio`` to ``input_audio``. Templates render in text, ``image_url`` and
audio ``data``. A string ``content`` stays a string; a string inside a content array is a text part. With
hardening (:mod:`rft_kit.judge.harden`), ``{{sample.*}}`` values in *text* are delimited and escaped, and the
delimiter instruction is put first as a system message; image URLs and audio data are rendered verbatim either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..templating import RenderOptions, Template, VarRef, compile_template
from . import harden as hardening

__all__ = ["PromptTemplate"]

_TEXT_BLOCKS = ("input_text", "output_text")


@dataclass(frozen=True)
class _Text:
    """A text template split into literals and single-variable templates (so sample values can be wrapped)."""

    template: Template
    pieces: tuple[str | tuple[bool, Template], ...]  # (is_sample, one-variable template)


@dataclass(frozen=True)
class _Block:
    kind: str  # input_text, input_image, input_audio
    text: _Text | None = None
    url: Template | None = None
    detail: str | None = None
    audio_data: Template | None = None
    audio_format: str = "wav"


@dataclass(frozen=True)
class _Message:
    role: str
    content: _Text | tuple[_Block, ...]


def _compile_text(source: str, field: str, options: RenderOptions) -> _Text:
    template = compile_template(source, field=field, options=options)
    pieces: list[str | tuple[bool, Template]] = []
    for part in template.parts:
        if isinstance(part, VarRef):
            pieces.append((part.namespace == "sample", Template(part.text, (part,), options)))
        else:
            pieces.append(part)
    return _Text(template, tuple(pieces))


class PromptTemplate:
    """A grader's ``input`` messages, compiled.

    Args:
        messages: the validated ``input`` list.
        field: JSON path of ``input``, for error messages.
        options: how template values render.

    Raises:
        ConfigError: a malformed template, or an image block without ``image_url`` (``file_id`` images cannot be
            sent to a chat completions endpoint).
    """

    def __init__(self, messages: Sequence[Mapping[str, Any]], *, field: str, options: RenderOptions) -> None:
        compiled: list[_Message] = []
        for i, message in enumerate(messages):
            content = message["content"]
            at = f"{field}[{i}].content"
            if isinstance(content, str):
                compiled.append(_Message(str(message["role"]), _compile_text(content, at, options)))
                continue
            blocks = [content] if isinstance(content, Mapping) else list(content)
            compiled.append(
                _Message(
                    str(message["role"]),
                    tuple(self._block(b, f"{at}[{j}]", options) for j, b in enumerate(blocks)),
                )
            )
        self._messages = tuple(compiled)

    @staticmethod
    def _block(block: Mapping[str, Any] | str, at: str, options: RenderOptions) -> _Block:
        if isinstance(block, str):  # the SDK's GraderInputs allow a bare string among the blocks: text
            return _Block("input_text", text=_compile_text(block, at, options))
        kind = str(block["type"])
        if kind in _TEXT_BLOCKS:
            return _Block("input_text", text=_compile_text(str(block.get("text", "")), f"{at}.text", options))
        if kind == "input_image":
            if not isinstance(block.get("image_url"), str):
                raise ConfigError("an input_image block needs image_url here (file_id images cannot be sent)", path=at)
            url = compile_template(block["image_url"], field=f"{at}.image_url", options=options)
            return _Block("input_image", url=url, detail=block.get("detail"))
        audio = block.get("input_audio") or {}
        data = compile_template(str(audio.get("data", "")), field=f"{at}.input_audio.data", options=options)
        return _Block("input_audio", audio_data=data, audio_format=str(audio.get("format", "wav")))

    @property
    def templates(self) -> tuple[Template, ...]:
        """Every template of the prompt (for static checks against items)."""
        out: list[Template] = []
        for message in self._messages:
            if isinstance(message.content, _Text):
                out.append(message.content.template)
                continue
            for block in message.content:
                out.extend(t for t in (block.text.template if block.text else None, block.url, block.audio_data) if t)
        return tuple(out)

    def render(self, sample: Mapping[str, Any], item: Mapping[str, Any], *, harden: bool) -> list[dict[str, Any]]:
        """Chat messages for one pair.

        Raises:
            GradeFailure: a template variable is missing (``invalid_variable_error``) or unparsable.
        """
        # First pass: resolve every value, so that the hardening tag can hash all sample values of the call.
        resolved: list[list[str | tuple[bool, str]]] = []
        sample_values: list[str] = []
        for text in self._texts():
            pieces: list[str | tuple[bool, str]] = []
            for piece in text.pieces:
                if isinstance(piece, str):
                    pieces.append(piece)
                    continue
                is_sample, template = piece
                value = template.render(sample, item)
                pieces.append((is_sample, value))
                if is_sample:
                    sample_values.append(value)
            resolved.append(pieces)
        tag = hardening.tag_for(sample_values) if harden and sample_values else None

        def join(pieces: list[str | tuple[bool, str]]) -> str:
            out: list[str] = []
            for piece in pieces:
                if isinstance(piece, str):
                    out.append(piece)
                else:
                    is_sample, value = piece
                    out.append(hardening.wrap(value, tag) if is_sample and tag is not None else value)
            return "".join(out)

        texts = iter(resolved)
        messages: list[dict[str, Any]] = []
        if tag is not None:
            messages.append({"role": "system", "content": hardening.system_instruction(tag)})
        for message in self._messages:
            if isinstance(message.content, _Text):
                messages.append({"role": message.role, "content": join(next(texts))})
                continue
            parts: list[dict[str, Any]] = []
            for block in message.content:
                if block.kind == "input_text":
                    parts.append({"type": "text", "text": join(next(texts))})
                elif block.kind == "input_image" and block.url is not None:
                    image: dict[str, Any] = {"url": block.url.render(sample, item)}
                    if block.detail is not None:
                        image["detail"] = block.detail
                    parts.append({"type": "image_url", "image_url": image})
                elif block.audio_data is not None:
                    data = block.audio_data.render(sample, item)
                    parts.append({"type": "input_audio", "input_audio": {"data": data, "format": block.audio_format}})
            messages.append({"role": message.role, "content": parts})
        return messages

    def _texts(self) -> list[_Text]:
        out: list[_Text] = []
        for message in self._messages:
            if isinstance(message.content, _Text):
                out.append(message.content)
            else:
                out.extend(block.text for block in message.content if block.text is not None)
        return out
