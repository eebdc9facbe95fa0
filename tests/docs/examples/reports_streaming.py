"""The reports page's streaming example, shortened: 5,000 records (the page: 50,000) and an update
every 0.25 s (the page: every second), so a run takes a couple of seconds instead of a minute.
The task body is the page's. The page leaves DATA_PROCESSING_DASHBOARD_HTML out ("We exclude it
here due to length"); the dashboard below is this project's own, defining the two functions the
task's scripts call, `addActivity(message)` and `updateDashboard(processed, total, rate, successRate)`.
"""

import asyncio
import json
import math
import random
import time
from datetime import datetime
from typing import List

import flyte
import flyte.report

env = flyte.TaskEnvironment(name="streaming_reports")

TOTAL_RECORDS = 5000  # the page: 50000
UPDATE_SECONDS = 0.25  # the page: 1

DATA_PROCESSING_DASHBOARD_HTML = """
<style>
  .dash { font-family: sans-serif; max-width: 720px; }
  .bar { background: #eee; border-radius: 6px; height: 22px; overflow: hidden; }
  .bar > div { background: #2e7d32; height: 100%; width: 0%; }
  .stats { display: flex; gap: 24px; margin: 12px 0; }
  .stats b { display: block; font-size: 20px; }
  #activity { list-style: none; padding: 0; max-height: 240px; overflow-y: auto; }
  #activity li { border-bottom: 1px solid #eee; padding: 4px 0; }
</style>
<div class="dash">
  <h2>Data processing dashboard</h2>
  <div class="bar"><div id="progress-bar"></div></div>
  <div class="stats">
    <div>Processed <b id="processed">0</b></div>
    <div>Progress <b id="percent">0%</b></div>
    <div>Rate <b id="rate">0</b></div>
    <div>Success <b id="success">100.00%</b></div>
  </div>
  <h3>Activity</h3>
  <ul id="activity"></ul>
</div>
<script>
  function addActivity(message) {
    const item = document.createElement("li");
    item.textContent = message;
    document.getElementById("activity").prepend(item);
  }
  function updateDashboard(processed, total, rate, successRate) {
    const percent = Math.round(100 * processed / total);
    document.getElementById("processed").textContent = processed.toLocaleString("en-US");
    document.getElementById("percent").textContent = percent + "%";
    document.getElementById("progress-bar").style.width = percent + "%";
    document.getElementById("rate").textContent = rate.toLocaleString("en-US") + "/s";
    document.getElementById("success").textContent = successRate.toFixed(2) + "%";
  }
</script>
"""

@env.task(report=True)
async def data_processing_dashboard(total_records: int = 50000) -> str:
    """
    Simulates a data processing pipeline with real-time progress visualization.
    Updates every second for approximately 1 minute.
    """
    await flyte.report.log.aio(DATA_PROCESSING_DASHBOARD_HTML, do_flush=True)

    # Simulate data processing
    processed = 0
    errors = 0
    batch_sizes = [800, 850, 900, 950, 1000, 1050, 1100]  # Variable processing rates

    start_time = time.time()

    while processed < total_records:
        # Simulate variable processing speed
        batch_size = random.choice(batch_sizes)

        # Add some processing delays occasionally
        if random.random() < 0.1:  # 10% chance of slower batch
            batch_size = int(batch_size * 0.6)
            await flyte.report.log.aio("""
            <script>addActivity("⚠️ Detected slow processing batch, optimizing...");</script>
            """, do_flush=True)
        elif random.random() < 0.05:  # 5% chance of error
            errors += random.randint(1, 5)
            await flyte.report.log.aio("""
            <script>addActivity("❌ Processing errors detected, retrying failed records...");</script>
            """, do_flush=True)
        else:
            await flyte.report.log.aio(f"""
            <script>addActivity("✅ Successfully processed batch of {batch_size} records");</script>
            """, do_flush=True)

        processed = min(processed + batch_size, total_records)
        current_time = time.time()
        elapsed = current_time - start_time
        rate = int(batch_size) if elapsed < 1 else int(processed / elapsed)
        success_rate = ((processed - errors) / processed) * 100 if processed > 0 else 100

        # Update dashboard
        await flyte.report.log.aio(f"""
        <script>
            updateDashboard({processed}, {total_records}, {rate}, {success_rate});
        </script>
        """, do_flush=True)

        print(f"Processed {processed:,} records, Errors: {errors}, Rate: {rate:,}"
              f" records/sec, Success Rate: {success_rate:.2f}%", flush=True)
        await asyncio.sleep(UPDATE_SECONDS)  # Update every second

        if processed >= total_records:
            break

    # Final completion message
    total_time = time.time() - start_time
    avg_rate = int(total_records / total_time)

    await flyte.report.log.aio(f"""
    <script>addActivity("🎉 Processing completed successfully!");</script>
    <div style="background-color: #d4edda; border: 1px solid #c3e6cb; color: #155724; padding: 20px; border-radius: 8px; margin-top: 20px;">
        <h3>🎉 Processing Complete!</h3>
        <ul>
            <li><strong>Total Records:</strong> {total_records:,}</li>
            <li><strong>Processing Time:</strong> {total_time:.1f} seconds</li>
            <li><strong>Average Rate:</strong> {avg_rate:,} records/second</li>
            <li><strong>Success Rate:</strong> {success_rate:.2f}%</li>
            <li><strong>Errors Handled:</strong> {errors}</li>
        </ul>
    </div>
    """, do_flush=True)
    print(f"Data processing completed: {processed:,} records processed with {errors} errors.", flush=True)

    return f"Processed {total_records:,} records successfully"

@env.task
async def main():
    """
    Main task to run both reports.
    """
    await data_processing_dashboard(total_records=TOTAL_RECORDS)

if __name__ == "__main__":
    flyte.init_from_config()
    r = flyte.run(main)
    print(r.name)
    print(r.url)
    r.wait()
