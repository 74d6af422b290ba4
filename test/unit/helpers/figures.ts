/** Figures the robustness suites report; printed together at the end of the unit run (test/unit/figures.test.ts). */
const figures = new Map<string, number>();

export function addFigure(name: string, n = 1): void {
  figures.set(name, (figures.get(name) ?? 0) + n);
}

export function setFigure(name: string, n: number): void {
  figures.set(name, n);
}

export function allFigures(): ReadonlyMap<string, number> {
  return figures;
}
