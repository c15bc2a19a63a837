"""Open every page of the built site (`_docs/`) in headless Chromium: `python .ci/site_check.py`.

Fails (exit 1) on a console error or uncaught exception, a request to any other host, a resource that
does not load (HTTP >= 400), an image that does not load, an internal link to a missing page (a missing anchor is a warning),
a page without a title, a search box that finds nothing, or a notebook missing from `nbs/sidebar.yml`.
Keeps a screenshot of the home page in `_docs/screenshot-home.png`. Needs Debian's Chromium
(/usr/bin/chromium) and the `playwright` package; it never downloads a browser.
"""
import functools, http.server, importlib.util, sys, threading, time
from pathlib import Path
from urllib.parse import urldefrag, urlparse
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = '/usr/bin/chromium'
ARGS = ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync']  # Playwright adds --headless, --no-sandbox, a fresh profile

def serve(site):
    "Serve `site` on a free local port, in a thread; returns the server"
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv

_page_info = '''() => ({
  title: document.title, h1: document.querySelector('article h1')?.textContent.replace('¶','').trim() ?? '',
  ids: Array.from(document.querySelectorAll('[id], a[name]')).map(e => e.id || e.getAttribute('name')),
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  images: Array.from(document.images).map(i => ({src: i.src.slice(0, 80), ok: i.complete && i.naturalWidth > 0})),
  nav: Array.from(document.querySelectorAll('nav.md-nav--primary .md-nav__link')).length,
})'''

def check_sidebar():
    "Problems: notebooks that `nbs/sidebar.yml` (Quarto's sidebar) does not list, or lists but are missing"
    spec = importlib.util.spec_from_file_location('docs_site', ROOT/'.ci'/'site.py')  # not `import site`: the stdlib's
    spec.loader.exec_module(mod := importlib.util.module_from_spec(spec))
    _, unlisted, missing = mod.notebooks(ROOT/'nbs')
    return [f'nbs/sidebar.yml does not list {p.name}' for p in unlisted] + \
           [f'nbs/sidebar.yml lists {p.name}, which does not exist' for p in missing]

def check(site=ROOT/'_docs', query='Config'):
    site = Path(site)
    pages = sorted(p.name for p in site.glob('*.html'))
    if 'index.html' not in pages: sys.exit(f'site check: no {site}/index.html: build the site first (python .ci/site.py)')
    problems, warns, seen, links = check_sidebar(), [], {}, set()
    srv = serve(site)
    base = f'http://127.0.0.1:{srv.server_port}/'
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = browser.new_context(viewport={'width': 1280, 'height': 900})
        def route(r):  # nothing may come from another host
            if r.request.url.startswith(base) or r.request.url.startswith('data:'): r.continue_()
            else: problems.append(f'{cur}: request to an outside host: {r.request.url[:120]}'); r.abort()
        ctx.route('**/*', route)
        page = ctx.new_page()
        page.on('console', lambda m: m.type == 'error' and problems.append(f'{cur}: console error: {m.text[:200]}'))
        page.on('pageerror', lambda e: problems.append(f'{cur}: uncaught exception: {str(e)[:200]}'))
        page.on('response', lambda r: r.status >= 400 and problems.append(f'{cur}: HTTP {r.status} for {r.url}'))
        for cur in pages:
            t = time.time()
            page.goto(base + cur, wait_until='networkidle')
            info = page.evaluate(_page_info)
            seen[cur] = set(info['ids'])
            links |= {l for l in info['links'] if l.startswith(base)}
            bad = [i['src'] for i in info['images'] if not i['ok']]
            problems += [f'{cur}: image did not load: {s}' for s in bad]
            if cur != '404.html' and not info['h1']: problems.append(f'{cur}: no page title (h1)')
            print(f'  {cur:18} {time.time()-t:4.1f} s  {info["title"][:40]:40} {len(info["images"]):2} images  '
                  f'{len(info["links"]):3} links  {info["nav"]:2} nav links')
            if cur == 'index.html':
                page.screenshot(path=str(site/'screenshot-home.png'))
                page.keyboard.press('/')  # Material's search shortcut
                page.keyboard.type(query)
                try: page.wait_for_selector('.md-search-result__item', timeout=10_000)
                except Exception: problems.append(f'index.html: searching {query!r} found nothing')
                else: print(f'  search {query!r}: {page.locator(".md-search-result__item").count()} results')
        cur = 'links'
        for l in sorted(links):
            url, frag = urldefrag(l)
            name = urlparse(url).path.lstrip('/') or 'index.html'
            if name not in seen:
                if ctx.request.get(url).status >= 400: problems.append(f'broken link: {l}')
            elif frag and frag not in seen[name]: warns.append(f'{name}#{frag}')
        browser.close()
    srv.shutdown()
    if warns: print(f'  warning: {len(warns)} links to an anchor their page lacks (they open the page top, as on the Quarto '
                    f'site: a private or undocumented name): {", ".join(warns)}')
    print(f'site check: {len(pages)} pages, {len(links)} internal links; {len(problems)} problems')
    for p in problems: print('  ' + p)
    return not problems

if __name__ == '__main__': sys.exit(0 if check(*sys.argv[1:2]) else 1)
