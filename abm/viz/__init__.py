"""The browser page (Mesa's SolaraViz): watch and steer one run of the economy.

- `app`: the page (controls, components) and `abm viz`.
- `portrayal`: the map's markers; `verdict_panel`: the verdict and run panels as HTML.
- `viz_assets`: the page's front-end files; `screenshot`: headless-chromium helpers and the
  README picture.

May import: abm.economy and abm.style. The page only draws: it reads the model, never changes
its rules.
"""
