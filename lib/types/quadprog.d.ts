/** Types of the `quadprog` package (a port of R's quadprog; arrays are 1-indexed). */
declare module 'quadprog' {
  export interface QPResult {
    solution?: number[];
    Lagrangian?: number[];
    value?: number[];
    iterations?: number[];
    iact?: number[];
    message: string;
  }
  export function solveQP(
    Dmat: number[][],
    dvec: number[],
    Amat: number[][],
    bvec?: number[],
    meq?: number,
    factorized?: number[],
  ): QPResult;
}
