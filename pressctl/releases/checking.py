"""Reading a release with its translations, and checking it (`pressctl release check`).

:func:`load_release_set` gives the release and its translations, or raises with every
problem; :func:`check_release` lists every problem of the set in one pass, each at its
file and line: what the release file reader finds (:mod:`pressctl.releases.release_file`),
what it names that the contact book or the disk does not have (organisations, contacts,
attachments, the body's images: pressctl.releases.images), versions that disagree
(reference, language, embargo), and what the templates make of it. All versions of a
release must agree on the embargo, instant and zone, or the set is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from pressctl.book.contacts import find_contact
from pressctl.book.session import Book
from pressctl.errors import InvalidInput, NotFound, Problem, ProblemsFound
from pressctl.releases.documents import Release, ReleaseSet
from pressctl.releases.recipients import Recipient, select_recipients
from pressctl.releases.release_file import Listed, listed_in, parse_release
from pressctl.releases.rendering import build_messages, press_officers

if TYPE_CHECKING:  # templating imports jinja2: only the functions that render import it
    from pressctl.releases.templating import Templates

MAX_ATTACHMENT = 15 * 1024 * 1024  # most relays refuse messages above 20-25 MB
WARN_ATTACHMENTS = 5 * 1024 * 1024


def read_release(path: Path, today: date) -> tuple[Release | None, list[Problem], list[Problem]]:
    """(the release or None if any error, errors, warnings) of one release file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None, [Problem(str(path), "no such release file")], []
    except (OSError, UnicodeDecodeError) as err:
        return None, [Problem(str(path), f"cannot read as UTF-8 text ({err})")], []
    release, errors, warnings = parse_release(text, str(path), today=today)
    if release is not None:  # a missing or remote image is an error, never a broken <img>
        from pressctl.releases.images import image_problems

        errors = errors + image_problems(release)
        if errors:
            return None, errors, warnings
    return release, errors, warnings


def load_release_set(path: Path, today: date) -> ReleaseSet:
    """The release at ``path`` with its translations; raises ProblemsFound on any error."""
    releases, errors, _ = _read_set(path, today)
    if errors:
        raise ProblemsFound(f"{path}: {len(errors)} problem(s)", errors,
                            hint="fix them; `pressctl release check` lists every one")
    assert releases is not None
    return releases


def _read_set(path: Path, today: date) -> tuple[ReleaseSet | None, list[Problem], list[Problem]]:
    """(the release set, None if there are errors; errors; warnings) of every file."""
    errors, warnings = [], []
    main, found, notes = read_release(path, today)
    errors += found
    warnings += notes
    versions: dict[str, Release] = {}
    if main is None:  # its translations are still read: a check lists their problems too
        for other in _listed(path).translations:
            _, found, notes = read_release((path.parent / other).resolve(), today)
            errors += found
            warnings += notes
    else:
        versions[main.language] = main
        for language, other in main.translations.items():
            other_path = (path.parent / other).resolve()
            version, found, notes = read_release(other_path, today)
            errors += found
            warnings += notes
            if version is None:
                continue
            if version.reference != main.reference:
                errors.append(Problem(str(other_path), f'reference "{version.reference}" differs '
                                      f'from "{main.reference}" of {path.name}'))
            if version.language != language:
                errors.append(Problem(str(other_path), f'language is "{version.language}", '
                                      f'but {path.name} lists it as "{language}"'))
            errors += _embargo_disagreement(main, path, version, other_path)
            versions[version.language] = version
    if errors or main is None:
        return None, errors, warnings
    return ReleaseSet(main, versions, warnings), errors, warnings


def _embargo_disagreement(main: Release, main_path: Path, version: Release,
                          version_path: Path) -> list[Problem]:
    """A translation must lift when the main file does, in the same zone: else readers of
    one language could publish before the others, and the notices would disagree."""
    if version.embargo is None and main.embargo is None:
        return []
    if version.embargo is not None and main.embargo is not None:
        if version.embargo.same_as(main.embargo):
            return []
        where = f"{version_path}:{version.embargo_line}"
        same_moment = version.embargo.lift == main.embargo.lift
        why = (f"the same moment in another zone ({version.embargo.zone}, not "
               f"{main.embargo.zone}): the notices would name different zones"
               if same_moment else "every version of a release lifts at the same moment")
        return [Problem(where, f'embargo "{version.embargo}" differs from "{main.embargo}" in '
                               f"{main_path.name}: {why}; write the same embargo in both")]
    if version.embargo is not None:
        return [Problem(f"{version_path}:{version.embargo_line}",
                        f'embargo "{version.embargo}", but {main_path.name} has no embargo: '
                        "every version of a release lifts at the same moment; write the same "
                        "embargo in both, or none")]
    return [Problem(str(version_path), f'no embargo, but {main_path.name} is embargoed until '
                    f'"{main.embargo}": this version would go out at once; add embargo = '
                    f'"{main.embargo}"')]


def check_release(book: Book, path: Path, templates: Templates, today: date, *,
                  now: datetime | None = None) -> tuple[list[Problem], list[Problem]]:
    """Every problem of a release in one pass: (errors, warnings).

    The organisations, contacts and attachments of each file are checked even when other
    keys of the file are wrong; the messages are rendered (one per language version, with
    ``now``, default noon UTC on ``today``) only when nothing else is wrong.
    """
    releases, errors, warnings = _read_set(path, today)
    files = _listed_files(path)
    for where, listed in files:
        errors += _book_problems(book, where, listed)
        errors += _attachment_problems(where, listed)
        warnings += _attachment_warnings(where, listed)
    errors, warnings = _in_file_order(errors, files), _in_file_order(warnings, files)
    errors += templates.check()
    if releases is None:
        return errors, warnings
    if not errors:
        moment = now or datetime.combine(today, time(12), tzinfo=UTC)
        errors += _rendering_problems(book, releases, templates, moment)
    try:
        if not select_recipients(book, releases):
            warnings.append(Problem(str(path), "the audience selects nobody in the contact book"))
    except InvalidInput as err:  # e.g. a saved audience (@name) the book does not have
        errors.append(Problem(str(path), str(err)))
    return errors, warnings


def _rendering_problems(book: Book, releases: ReleaseSet, templates: Templates,
                        now: datetime) -> list[Problem]:
    """Build one message per language version (to one of its recipients, else to the
    sender), so that a template error in any language is found."""
    samples: dict[tuple[str, bool], Recipient] = {}  # (language, embargoed): one of each
    try:
        audience = select_recipients(book, releases)
    except InvalidInput:
        audience = []  # the audience's own problem is reported by check_release
    for recipient in audience:
        samples.setdefault((recipient.version.language, recipient.embargoed), recipient)
    sender = next((o for o in press_officers(book, releases.main) if o.emails), None)
    for language, version in releases.versions.items():
        embargoed = version.embargo is not None
        if (language, embargoed) not in samples and sender is not None:
            samples[(language, embargoed)] = Recipient(sender, sender.emails[0], version,
                                                       embargoed)
    problems: list[Problem] = []
    for recipients in [[sample] for sample in samples.values()] or [[]]:
        try:
            for _ in build_messages(book, releases, recipients, templates, now=now):
                pass
        except InvalidInput as err:
            if Problem("", str(err)) not in problems:  # the same typo in two languages' use
                problems.append(Problem("", str(err)))
    return problems


def _in_file_order(problems: list[Problem], files: Sequence[tuple[str, object]]
                   ) -> list[Problem]:
    """File by file (the release, then its translations), line by line."""
    order = {where: number for number, (where, _) in enumerate(files)}

    def place(problem: Problem) -> tuple[int, int]:
        where, _, line = problem.where.rpartition(":")
        if line.isdigit() and where in order:
            return order[where], int(line)
        return order.get(problem.where, len(order)), 0

    return sorted(problems, key=place)


def _listed(path: Path) -> Listed:
    """What the release file at ``path`` names (nothing if it cannot be read)."""
    try:
        return listed_in(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError):
        return Listed()


def _listed_files(path: Path) -> list[tuple[str, Listed]]:
    """``(file as problems name it, what it lists)`` for the release and its translations."""
    listed = _listed(path)
    files = [(str(path), listed)]
    for other in listed.translations:
        other_path = (path.parent / other).resolve()
        files.append((str(other_path), _listed(other_path)))
    return files


def _book_problems(book: Book, where: str, listed: Listed) -> list[Problem]:
    problems = []
    for name, line in listed.organizations:
        if book.store.orgs.find(name) is None:
            problems.append(Problem(f"{where}:{line}", f'organisation "{name}" is not in the '
                                    "contact book (see `pressctl orgs list`)"))
    for ref, line in listed.contacts:
        try:
            find_contact(book.store, ref)
        except (NotFound, InvalidInput) as err:
            problems.append(Problem(f"{where}:{line}", f"contacts: {err}"))
    return problems


def _attachment_problems(where: str, listed: Listed) -> list[Problem]:
    problems = []
    for name, line in listed.attachments:
        attachment = Path(where).parent / name
        if not attachment.is_file():
            problems.append(Problem(f"{where}:{line}", f'attachment "{name}" does not exist'))
        elif attachment.stat().st_size > MAX_ATTACHMENT:
            problems.append(Problem(f"{where}:{line}", f'attachment "{name}" is larger than '
                                    f"{MAX_ATTACHMENT // 2**20} MB: link to it instead"))
    return problems


def _attachment_warnings(where: str, listed: Listed) -> list[Problem]:
    files = [Path(where).parent / name for name, _ in listed.attachments]
    total = sum(f.stat().st_size for f in files if f.is_file())
    if total > WARN_ATTACHMENTS:
        return [Problem(where, f"attachments weigh {total / 2**20:.1f} MB per message: "
                        "many inboxes will refuse or delay them")]
    return []
