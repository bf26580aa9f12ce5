'use strict';

const leftPad = require('left-pad');

// greet: a greeting, right-aligned in a column of `width` characters.
module.exports = function greet(name, width) {
  return leftPad('Hello, ' + name + '!', width || 0);
};
