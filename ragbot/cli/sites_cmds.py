"""`ragbot sites` (list, resync, forget) and the crawl behind `ragbot ingest URL --crawl`."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ragbot.cli.app import app, console, err_console, services
from ragbot.domain import Scope
from ragbot.observability.redaction import redact
from ragbot.storage.sites import SiteInfo

sites_app = typer.Typer(help="Crawled documentation sites: list, re-sync or forget a whole site.",
                        invoke_without_command=True)
app.add_typer(sites_app, name="sites")

SpaceOpt = Annotated[str | None, typer.Option("--space", "-s", help="Only the sites of this space.")]
SiteArg = Annotated[str, typer.Argument(help="Site id or root URL (see `ragbot sites`).")]


def crawl_command(paths: list[str], *, scope: Scope, crawl: bool, max_pages: int | None, background: bool) -> int:
    """`ingest URL --crawl`: exactly one http(s) URL; a bad combination is one line and exit 2."""
    if not crawl:
        err_console.print("[red]error:[/red] --max-pages goes with --crawl: `ragbot ingest URL --crawl --max-pages N`.")
        return 2
    if len(paths) != 1 or not paths[0].startswith(("http://", "https://")):
        err_console.print("[red]error:[/red] --crawl takes one http(s) URL, the site's root: "
                          "`ragbot ingest https://docs.example.com/guide/ --crawl`.")
        return 2
    return run_crawl(paths[0], scope=scope, max_pages=max_pages, background=background)


def run_crawl(url: str, *, scope: Scope, max_pages: int | None, background: bool) -> int:
    """Crawl a site for `ingest --crawl`: here with one live status line, or queued for the workers; exit code."""
    svc = services()
    site = svc.sites.add_site(scope=scope, url=url, max_pages=max_pages)
    if background:
        console.print(f"[cyan]queued[/cyan] site {site.id} {url} (up to {site.max_pages} pages): "
                      f"{svc.sites.queue_crawl(site.id)}", highlight=False)
        return 0
    with err_console.status(f"crawling {escape(url)}…") as line:
        outcome = svc.sites.crawl_site(site.id, inline=True,
                                  on_progress=lambda text: line.update(escape(text)))
    console.print(escape(outcome.text), highlight=False)
    return 1 if outcome.text.startswith("❌") else 0


def _site_json(s: SiteInfo) -> dict[str, object]:
    return {"id": s.id, "root_url": s.root_url, "prefix": s.prefix, "space": s.space, "channel": s.channel,
            "max_pages": s.max_pages, "state": s.state, "pages": s.pages, "counts": s.counts, "note": s.note,
            "added_by": s.uploader, "added_via": s.added_via,
            "crawled_at": s.crawled_at.isoformat() if s.crawled_at else None}


@sites_app.callback()
def sites(
    ctx: typer.Context,
    space: SpaceOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List crawled sites with their pages by state and how the last crawl ended."""
    if ctx.invoked_subcommand is not None:
        return
    found = services().sites.list_sites(space=space)
    if as_json:
        print(json.dumps([_site_json(s) for s in found], indent=2))
        return
    if not found:
        console.print("No sites yet. Crawl one with `ragbot ingest URL --crawl`.")
        return
    table = Table("id", "site", "scope", "state", "pages", "last crawl", "note")
    for s in found:
        pages = ", ".join(f"{k} {v}" for k, v in sorted(s.pages.items())) or "none"
        when = f"{s.crawled_at:%Y-%m-%d %H:%M}" if s.crawled_at else "never finished"
        table.add_row(str(s.id), s.root_url, s.space + (f"#{s.channel}" if s.channel else ""), s.state, pages,
                      when, redact(s.note or ""))
    console.print(table)


@sites_app.command("resync")
def resync(
    site: SiteArg,
    space: SpaceOpt = None,
    background: Annotated[bool, typer.Option("--background", help="Queue for the workers instead.")] = False,
) -> None:
    """Crawl a site again: changed pages are re-indexed, unchanged ones cost nothing, gone ones are forgotten."""
    svc = services()
    found = svc.sites.find_site(site, space=space)
    if background:
        console.print(f"site {found.id} {found.root_url}: {svc.sites.queue_crawl(found.id)}", highlight=False)
        return
    with err_console.status(f"crawling {escape(found.root_url)}…") as line:
        outcome = svc.sites.crawl_site(found.id, inline=True,
                                  on_progress=lambda text: line.update(escape(text)))
    console.print(escape(outcome.text), highlight=False)
    if outcome.text.startswith("❌"):
        raise typer.Exit(1)


@sites_app.command("forget")
def forget(site: SiteArg, space: SpaceOpt = None) -> None:
    """Delete a site and every page of it, with their chunks."""
    gone, pages = services().sites.forget_site(site, space=space)
    console.print(f"deleted site {gone.id} {gone.root_url} and its {pages} pages", highlight=False)
