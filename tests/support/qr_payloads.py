"""Random QR payloads as artists use them: links up to 300 characters, text in many scripts,
vCards. Seeded, so a failure names a payload that can be made again."""

from __future__ import annotations

import random
import string

URL_CHARS = string.ascii_letters + string.digits + "-._~/?=&%+"
WORDS = ("日本語の歌", "Ünïcödé", "Ελληνικά", "русский трек", "한국어", "العربية", "🎵🎶",
         "café crème", "Łódź", "naïve", "Smörgåsbord", "ñandú", "中文歌曲")


def url(rng: random.Random) -> str:
    head = rng.choice(("https://distrokid.com/hyperfollow/", "https://band.example/",
                       "https://open.spotify.com/track/", "https://www.bandcamp.com/album/",
                       "http://x.io/"))
    length = rng.randint(len(head) + 1, 300)
    return head + "".join(rng.choice(URL_CHARS) for _ in range(length - len(head)))


def text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 8)))


def vcard(rng: random.Random) -> str:
    name = rng.choice(("Åsa Lind", "José Núñez", "山田 太郎", "Zoë Smith", "Ola Nordmann"))
    return ("BEGIN:VCARD\nVERSION:3.0\n"
            f"FN:{name}\nORG:{rng.choice(('The Night Owls', 'Дом', 'Band'))}\n"
            f"TEL:+{rng.randint(10, 99)} {rng.randint(100000, 9999999)}\n"
            f"EMAIL:booking{rng.randint(1, 999)}@band.example\n"
            f"URL:https://band.example/{rng.randint(1, 10**6)}\nEND:VCARD")


def payloads(count: int = 200, seed: int = 15) -> list[str]:
    """``count`` payloads: links, text and vCards in turn (the longest links first come at
    random, as they do in life)."""
    rng = random.Random(seed)
    makers = (url, text, vcard)
    return [makers[i % 3](rng) for i in range(count)]
