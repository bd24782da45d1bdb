"""The domain packages of padis, in the order their commands, models and migrations load."""

DOMAINS: tuple[str, ...] = (
    "store",
    "standards",
    "synth",
    "collect",
    "register",
    "linkage",
    "verify",
    "exchange",
    "security",
    "services",
    "stats",
    "api",
)
