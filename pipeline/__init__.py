"""``pipeline``: the glue between the scheduler and the domain packages.

Plain functions, no Airflow imports: each stage of the cycle (crawl, analyse, route, sweep, dispatch,
report, assess) builds its Store and Config from the environment and makes one call into its domain
package. ``dags/`` wraps them in Airflow tasks; ``demo`` and tests may call them directly. This is the
top layer: it may import every domain package, and nothing but ``dags/`` and ``demo`` imports it.
"""
