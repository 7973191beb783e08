export * from './layer';
export * from './sequential';
export * from './init';
export * from './activation';
export * from './layers/core';
export * from './layers/recurrent';
