"""The reports page's "more complex example": the task, the data generator and the run logic as the
page shows them. The page leaves the HTML out ("We exclude it here due to length"), so
`get_html_content` here is this project's own page: a table of the cities and a plot of them on an
equirectangular map drawn by a script, so the test can check that scripts in a report run.
"""

import json
import random

import flyte
import flyte.report

env = flyte.TaskEnvironment(
    name="globe_visualization",
)

@env.task(report=True)
async def generate_globe_visualization():
    await flyte.report.replace.aio(get_html_content())
    await flyte.report.flush.aio()

def generate_globe_data():
    """Generate sample data points for the globe"""
    cities = [
        {"city": "New York", "country": "USA", "lat": 40.7128, "lng": -74.0060},
        {"city": "London", "country": "UK", "lat": 51.5074, "lng": -0.1278},
        {"city": "Tokyo", "country": "Japan", "lat": 35.6762, "lng": 139.6503},
        {"city": "Sydney", "country": "Australia", "lat": -33.8688, "lng": 151.2093},
        {"city": "Paris", "country": "France", "lat": 48.8566, "lng": 2.3522},
        {"city": "São Paulo", "country": "Brazil", "lat": -23.5505, "lng": -46.6333},
        {"city": "Mumbai", "country": "India", "lat": 19.0760, "lng": 72.8777},
        {"city": "Cairo", "country": "Egypt", "lat": 30.0444, "lng": 31.2357},
        {"city": "Moscow", "country": "Russia", "lat": 55.7558, "lng": 37.6176},
        {"city": "Beijing", "country": "China", "lat": 39.9042, "lng": 116.4074},
        {"city": "Lagos", "country": "Nigeria", "lat": 6.5244, "lng": 3.3792},
        {"city": "Mexico City", "country": "Mexico", "lat": 19.4326, "lng": -99.1332},
        {"city": "Bangkok", "country": "Thailand", "lat": 13.7563, "lng": 100.5018},
        {"city": "Istanbul", "country": "Turkey", "lat": 41.0082, "lng": 28.9784},
        {"city": "Buenos Aires", "country": "Argentina", "lat": -34.6118, "lng": -58.3960},
        {"city": "Cape Town", "country": "South Africa", "lat": -33.9249, "lng": 18.4241},
        {"city": "Dubai", "country": "UAE", "lat": 25.2048, "lng": 55.2708},
        {"city": "Singapore", "country": "Singapore", "lat": 1.3521, "lng": 103.8198},
        {"city": "Stockholm", "country": "Sweden", "lat": 59.3293, "lng": 18.0686},
        {"city": "Vancouver", "country": "Canada", "lat": 49.2827, "lng": -123.1207},
    ]

    categories = ["high", "medium", "low", "special"]

    data_points = []
    for city in cities:
        data_point = {**city, "value": random.randint(10, 100), "category": random.choice(categories)}
        data_points.append(data_point)

    return data_points

COLORS = {"high": "#d73a49", "medium": "#f9a825", "low": "#2e7d32", "special": "#6f42c1"}

def get_html_content():
    data_points = generate_globe_data()
    rows = "\n".join(
        f"<tr><td>{p['city']}</td><td>{p['country']}</td><td>{p['value']}</td><td>{p['category']}</td></tr>"
        for p in data_points
    )
    html_content = f"""
    <!DOCTYPE html>
    <html lang="en">
    <head><meta charset="utf-8"><title>City data points</title></head>
    <body>
      <h2>Global data points</h2>
      <svg id="globe" width="720" height="360" viewBox="-180 -90 360 180"
           style="background:#e3f2fd;border:1px solid #90caf9"></svg>
      <p id="plotted">plotting...</p>
      <table id="cities"><tr><th>City</th><th>Country</th><th>Value</th><th>Category</th></tr>
      {rows}
      </table>
      <script>
        const points = {json.dumps(data_points)};
        const colors = {json.dumps(COLORS)};
        const svg = document.getElementById("globe");
        for (const p of points) {{
          const dot = document.createElementNS("http://www.w3.org/2000/svg", "circle");
          dot.setAttribute("cx", p.lng);
          dot.setAttribute("cy", -p.lat);
          dot.setAttribute("r", 1 + p.value / 25);
          dot.setAttribute("fill", colors[p.category]);
          dot.setAttribute("data-city", p.city);
          svg.appendChild(dot);
        }}
        document.getElementById("plotted").textContent = points.length + " cities plotted";
      </script>
    </body>
    </html>
    """
    return html_content

if __name__ == "__main__":
    flyte.init_from_config()
    r = flyte.run(generate_globe_visualization)
    print(r.name)
    print(r.url)
    r.wait()
